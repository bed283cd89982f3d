"""The image pipeline: formats, orientation, metadata stripping, colour, variants and rejection of non-images."""
from __future__ import annotations

import io
import struct
import warnings
import zlib
from pathlib import Path

import pytest
from PIL import Image

from catalogue import images
from catalogue.images import InvalidImage, process_image


def jpeg_bytes(width: int, height: int, *, exif: Image.Exif | None = None, colour=(180, 120, 60)) -> bytes:
    image = Image.new("RGB", (width, height), colour)
    # A darker left half lets a test see which way the picture was turned.
    image.paste((20, 20, 20), (0, 0, width // 2, height))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif or Image.Exif())
    return buffer.getvalue()


def exif_with_gps_and_orientation(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation  # Orientation
    exif[0x010F] = "Kamerafabrikk"  # Make
    exif[0x8825] = {1: "N", 2: (59.0, 54.0, 0.0), 3: "E", 4: (10.0, 45.0, 0.0)}  # GPSInfo
    return exif


def test_variants_are_written_as_webp_and_jpeg_at_three_widths(tmp_path):
    stored = process_image(jpeg_bytes(2400, 1800), tmp_path)

    folder = Path(tmp_path) / stored.storage_key
    assert stored.widths == [320, 800, 1600]
    for width in stored.widths:
        with Image.open(folder / f"{width}.webp") as webp, Image.open(folder / f"{width}.jpg") as jpg:
            assert webp.format == "WEBP" and jpg.format == "JPEG"
            assert webp.width == jpg.width == width
            assert webp.height == round(1800 * width / 2400)


def test_small_images_are_not_upscaled(tmp_path):
    assert process_image(jpeg_bytes(1000, 500), tmp_path).widths == [320, 800, 1000]
    assert process_image(jpeg_bytes(200, 100), tmp_path).widths == [200]


def test_exif_and_gps_are_stripped_from_every_file(tmp_path):
    data = jpeg_bytes(900, 600, exif=exif_with_gps_and_orientation(1))
    with Image.open(io.BytesIO(data)) as original:
        assert original.getexif().get(0x8825)  # the upload really carries GPS

    stored = process_image(data, tmp_path)

    for path in (Path(tmp_path) / stored.storage_key).iterdir():
        with Image.open(path) as image:
            assert not image.getexif(), path.name
            assert "exif" not in image.info and "xmp" not in image.info, path.name
        assert b"Kamerafabrikk" not in path.read_bytes()


def test_images_are_turned_upright_from_their_exif_orientation(tmp_path):
    # Orientation 6 means "rotate 90° clockwise to view": a 900×600 file is a 600×900 picture.
    stored = process_image(jpeg_bytes(900, 600, exif=exif_with_gps_and_orientation(6)), tmp_path)

    assert (stored.width, stored.height) == (600, 900)
    with Image.open(Path(tmp_path) / stored.storage_key / f"{stored.widths[-1]}.jpg") as upright:
        top = upright.getpixel((upright.width // 2, 5))
        bottom = upright.getpixel((upright.width // 2, upright.height - 5))
    assert sum(top) < 150 < sum(bottom)  # the dark half is now on top


def test_transparent_png_is_flattened_onto_white(tmp_path):
    image = Image.new("RGBA", (400, 300), (0, 0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")

    stored = process_image(buffer.getvalue(), tmp_path)

    with Image.open(Path(tmp_path) / stored.storage_key / "320.jpg") as result:
        assert result.getpixel((10, 10)) == pytest.approx((255, 255, 255), abs=3)


@pytest.mark.parametrize("data", [b"", b"not an image", b"GIF89a" + b"\0" * 40, b"%PDF-1.4 ..."])
def test_non_images_are_rejected(tmp_path, data):
    with pytest.raises(InvalidImage):
        process_image(data, tmp_path)


def test_gif_is_not_accepted(tmp_path):
    buffer = io.BytesIO()
    Image.new("RGB", (50, 50)).save(buffer, "GIF")

    with pytest.raises(InvalidImage):
        process_image(buffer.getvalue(), tmp_path)


def test_add_image_requires_alt_text(session, app):
    from catalogue.services import add_image
    from factories import make_product

    product = make_product(session)

    with pytest.raises(ValueError):
        add_image(session, product, jpeg_bytes(400, 300), alt_text="   ", media_root=app.config["MEDIA_ROOT"])


def test_images_are_ordered_by_position(session, app):
    from catalogue.services import add_image
    from factories import make_product

    product = make_product(session)
    first = add_image(session, product, jpeg_bytes(400, 300), alt_text="Forfra", media_root=app.config["MEDIA_ROOT"])
    second = add_image(session, product, jpeg_bytes(400, 300), alt_text="Fra siden", media_root=app.config["MEDIA_ROOT"])
    session.commit()
    session.refresh(product)

    assert (first.position, second.position) == (0, 1)
    assert [i.alt_text for i in product.images] == ["Forfra", "Fra siden"]


# The formats phones and cameras give us; the format is read from the bytes, whatever the file was called.

def encoded(format: str, size=(900, 600), colour=(40, 120, 200), **options) -> bytes:
    image = Image.new("RGBA" if format == "PNG" else "RGB", size, colour)
    buffer = io.BytesIO()
    image.save(buffer, format, **options)
    return buffer.getvalue()


@pytest.mark.parametrize("format", ["JPEG", "PNG", "WEBP", "HEIF"])
def test_jpeg_png_webp_and_heic_are_accepted(tmp_path, format):
    data = encoded(format)
    if format == "HEIF":
        assert data[4:12] == b"ftypheic"  # a real HEIC file, as an iPhone sends

    stored = process_image(data, tmp_path)

    assert (stored.width, stored.height, stored.widths) == (900, 600, [320, 800, 900])
    with Image.open(Path(tmp_path) / stored.storage_key / "800.webp") as variant:
        assert variant.format == "WEBP"
        assert variant.convert("RGB").getpixel((400, 300)) == pytest.approx((40, 120, 200), abs=8)


def test_a_png_named_jpg_is_read_as_the_png_it_is(tmp_path):
    # The pipeline is never told the file name or the browser's content type; the bytes decide.
    stored = process_image(encoded("PNG"), tmp_path)

    assert (Path(tmp_path) / stored.storage_key / "original.jpg").is_file()


@pytest.mark.parametrize("data", [
    b"Dette er en tekstfil som heter bilde.jpg\n",
    b"GIF89a" + b"\0" * 40,
    b"%PDF-1.4 ...",
    b"BM" + b"\0" * 60,
    b"",
])
def test_files_that_are_not_an_accepted_format_are_refused_with_reason_format(tmp_path, data):
    with pytest.raises(InvalidImage) as refused:
        process_image(data, tmp_path)

    assert refused.value.reason == "format"
    assert not any(Path(tmp_path).iterdir())


def test_a_real_gif_is_refused_with_reason_format(tmp_path):
    with pytest.raises(InvalidImage) as refused:
        process_image(encoded("GIF"), tmp_path)

    assert refused.value.reason == "format"


@pytest.mark.parametrize("format", ["JPEG", "PNG", "WEBP", "HEIF"])
def test_a_truncated_file_is_refused_as_damaged(tmp_path, format):
    # Noise compresses badly, so half the file really is half the picture.
    noisy = Image.effect_noise((900, 600), 80).convert("RGB")
    buffer = io.BytesIO()
    noisy.save(buffer, format)
    data = buffer.getvalue()

    with pytest.raises(InvalidImage) as refused:
        process_image(data[: len(data) // 2], tmp_path)

    assert refused.value.reason == "damaged"
    assert not any(Path(tmp_path).iterdir())


# Metadata: nothing the camera or phone wrote survives, and colours are turned into sRGB.

def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz(x: float, y: float, z: float) -> bytes:
    return b"XYZ " + b"\0" * 4 + _s15(x) + _s15(y) + _s15(z)


def icc_profile_with_red_and_green_swapped() -> bytes:
    """Build an ICC v4 display profile whose red primary is sRGB's green and whose green is sRGB's red."""
    red, green, blue = (0.4361, 0.2225, 0.0139), (0.3851, 0.7169, 0.0971), (0.1431, 0.0606, 0.7141)
    curve = b"curv" + b"\0" * 4 + struct.pack(">IH", 1, 563) + b"\0\0"  # gamma 2.2
    text = "Byttet rød og grønn".encode("utf-16-be")
    desc = b"mluc" + b"\0" * 4 + struct.pack(">II", 1, 12) + b"enUS" + struct.pack(">II", len(text), 28) + text
    tags = [(b"desc", desc), (b"wtpt", _xyz(0.9642, 1.0, 0.8249)), (b"rXYZ", _xyz(*green)), (b"gXYZ", _xyz(*red)),
            (b"bXYZ", _xyz(*blue)), (b"rTRC", curve), (b"gTRC", curve), (b"bTRC", curve), (b"cprt", desc)]
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for signature, data in tags:
        data += b"\0" * (-len(data) % 4)
        table += signature + struct.pack(">II", offset + len(body), len(data))
        body += data
    header = (struct.pack(">I", offset + len(body)) + b"\0" * 4 + struct.pack(">I", 0x04300000) + b"mntrRGB XYZ "
              + b"\0" * 12 + b"acsp" + b"\0" * 28 + _s15(0.9642) + _s15(1.0) + _s15(0.8249) + b"\0" * 48)
    return header + struct.pack(">I", len(tags)) + table + body


XMP = (b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
       b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
       b'xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="59,54.0N" exif:GPSLongitude="10,45.0E"/>'
       b'</rdf:RDF></x:xmpmeta><?xpacket end="w"?>')


def test_gps_exif_xmp_comments_and_icc_profile_are_gone_and_colours_are_converted_to_srgb(tmp_path):
    data = encoded("JPEG", colour=(220, 30, 30), exif=exif_with_gps_and_orientation(1), xmp=XMP,
                   icc_profile=icc_profile_with_red_and_green_swapped(), comment=b"Hemmelig kommentar")
    with Image.open(io.BytesIO(data)) as upload:  # the upload really carries all of it
        assert upload.getexif().get_ifd(0x8825) and upload.info["xmp"] and upload.info["icc_profile"]
        assert upload.info["comment"] == b"Hemmelig kommentar"

    stored = process_image(data, tmp_path)

    files = list((Path(tmp_path) / stored.storage_key).iterdir())
    assert len(files) == 1 + 2 * len(stored.widths)
    for path in files:
        raw = path.read_bytes()
        for trace in (b"Exif\0\0", b"Kamerafabrikk", b"xmpmeta", b"ns.adobe.com", b"Hemmelig", b"acsp", b"ICC_PROFILE"):
            assert trace not in raw, (path.name, trace)
        with Image.open(path) as image:
            assert not image.getexif() and not image.getexif().get_ifd(0x8825), path.name
            assert not {"exif", "xmp", "icc_profile", "comment"} & set(image.info), path.name
            # Red in the upload's own colour space is green in sRGB: the pixels were converted, not relabelled.
            red, green, blue = image.convert("RGB").getpixel((image.width // 2, image.height // 2))
            assert green > 180 and red < 70 and blue < 70, path.name


def test_an_unreadable_icc_profile_is_ignored_rather_than_refusing_the_photo(tmp_path):
    stored = process_image(encoded("JPEG", icc_profile=b"not a profile" * 10), tmp_path)

    with Image.open(Path(tmp_path) / stored.storage_key / "original.jpg") as image:
        assert "icc_profile" not in image.info


# Size: the upload's bytes and its pixels are both bounded, and a bomb is refused before it is decoded.

def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width × height pixels (its pixel data is a few bytes)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


@pytest.mark.parametrize("size", [(7_000, 7_000), (30_000, 30_000)], ids=["over-the-limit", "over-pillows-own-limit"])
def test_a_decompression_bomb_is_refused_as_too_many_pixels(tmp_path, size):
    with pytest.raises(InvalidImage) as refused:
        process_image(png_declaring(*size), tmp_path)

    assert refused.value.reason == "too_many_pixels"
    assert not any(Path(tmp_path).iterdir())


def test_a_bomb_is_refused_even_where_warnings_are_only_shown(tmp_path):
    # In production warnings are not errors; Pillow's DecompressionBombWarning must not be all that happens.
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        with pytest.raises(InvalidImage) as refused:
            process_image(png_declaring(7_000, 7_000), tmp_path)

    assert refused.value.reason == "too_many_pixels"


def test_an_image_just_within_the_pixel_limit_is_accepted(tmp_path):
    # 1 bit per pixel keeps the file small; the limit is on pixels, whatever their depth.
    image = Image.new("1", (8_000, 5_000), 1)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    assert 8_000 * 5_000 == images.MAX_PIXELS

    stored = process_image(buffer.getvalue(), tmp_path)

    assert (stored.width, stored.height) == (8_000, 5_000)


def test_a_file_over_the_upload_limit_is_refused_as_too_large(tmp_path):
    data = encoded("JPEG")
    padded = data + b"\0" * (images.MAX_UPLOAD_BYTES + 1 - len(data))  # still a valid JPEG, just too big

    with pytest.raises(InvalidImage) as refused:
        process_image(padded, tmp_path)

    assert refused.value.reason == "too_large"
    assert process_image(data, tmp_path).widths  # the same picture without the padding is fine

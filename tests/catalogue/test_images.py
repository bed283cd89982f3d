"""The image pipeline: orientation, metadata stripping, variants and rejection of non-images."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

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

"""The image pipeline (the only module that uses Pillow): check, orient, strip metadata, write WebP and JPEG variants."""
from __future__ import annotations

import contextlib
import io
import secrets
import struct
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path

import pillow_heif
from PIL import Image, ImageCms, ImageDraw, ImageFile, ImageFont, ImageOps, UnidentifiedImageError

from catalogue.storage import LocalStorage, Storage, StorageError

VARIANT_WIDTHS = (320, 800, 1600)
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000
# Pillow decoders we let read an upload. Naming them keeps Pillow from guessing among all it knows:
# some formats (TGA, for one) have no signature, so a text file could pass for one of them.
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")  # JPEG covers MPO, the multi-picture JPEG of some cameras
# The reasons an upload is refused, for the view's message.
REASONS = ("format", "too_large", "too_many_pixels", "damaged")

pillow_heif.register_heif_opener()
# Pillow's own bomb check at our limit; it warns (from MAX_PIXELS) before it refuses (from twice that), and a
# warning must not let a bomb through, so it is an error wherever this module is loaded.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
warnings.filterwarnings("error", category=Image.DecompressionBombWarning)
_SRGB = ImageCms.createProfile("sRGB")


class InvalidImage(Exception):
    """The upload is not an image we accept; reason (one of REASONS) says why, for the message shown."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class StoredImage:
    storage_key: str
    width: int
    height: int
    widths: list[int]


def process_image(data: bytes, storage: Storage | str | Path, *, prefix: str = "products") -> StoredImage:
    """Store an upload and its variants (a folder path means local storage); no metadata survives, colours are sRGB.

    Raises:
        InvalidImage: the bytes are no JPEG, PNG, WebP or HEIC picture, are damaged, or are too big
            (reason: format, damaged, too_large, too_many_pixels).
        storage.StorageError: the storage could not take the files (none are left behind).
    """
    if isinstance(storage, str | Path):
        storage = LocalStorage(storage)
    image = _decode(data)
    files, widths = _encode(image)
    key = f"{prefix}/{secrets.token_hex(2)}/{secrets.token_hex(8)}"
    try:
        for name, (content, content_type) in files.items():
            storage.save(f"{key}/{name}", content, content_type)
    except BaseException:
        with contextlib.suppress(StorageError, OSError):
            storage.delete_prefix(key)  # half an image is of no use to anyone
        raise
    return StoredImage(storage_key=key, width=image.width, height=image.height, widths=widths)


def _decode(data: bytes) -> Image.Image:
    """Read the upload into upright sRGB pixels with nothing else attached.

    Raises:
        InvalidImage: see process_image.
    """
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidImage("too_large", f"{len(data)} bytes")
    # A truncated upload is damaged, never half a picture: Pillow's switch is process-wide, and a library
    # imported later may have turned it on for itself (WeasyPrint does, for the invoice PDFs).
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS) as probe:
            # Checked from the header before any pixel is decoded; Pillow's check above is the second net.
            if probe.width * probe.height > MAX_PIXELS:
                raise InvalidImage("too_many_pixels", f"{probe.width}×{probe.height}")
            probe.load()
            upright = ImageOps.exif_transpose(probe)
            return _to_srgb(upright, probe.info.get("icc_profile"))
    except InvalidImage:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise InvalidImage("too_many_pixels", str(error)) from error
    except UnidentifiedImageError as error:
        raise InvalidImage("format", str(error)) from error
    # Truncated and corrupt files surface as any of these, depending on the decoder and where it broke.
    except (OSError, SyntaxError, ValueError, EOFError, struct.error, zlib.error, RuntimeError) as error:
        raise InvalidImage("damaged", str(error)) from error


def _to_srgb(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """Return a new RGB image in sRGB, flattened onto white, carrying no metadata and no profile."""
    alpha = None
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        image = image.convert("LA" if image.mode == "LA" else "RGBA")
        alpha = image.getchannel("A")
    if image.mode in ("1", "L", "LA", "I", "I;16", "F"):
        colours = image.convert("L")
    elif image.mode == "CMYK":
        colours = image
    else:
        colours = image.convert("RGB")
    rgb = None
    if icc_profile:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
            rgb = ImageCms.profileToProfile(colours, source, _SRGB, outputMode="RGB",
                                            renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC)
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            # A profile we cannot read or that does not fit the pixels: treat them as sRGB rather than
            # refuse a photo the camera or phone made.
            rgb = None
    if rgb is None:
        rgb = colours.convert("RGB")
    # Pasting into a new image keeps the pixels and nothing else: no EXIF, XMP, comments or profile.
    clean = Image.new("RGB", rgb.size, (255, 255, 255))
    clean.paste(rgb, mask=alpha)
    return clean


def _encode(image: Image.Image) -> tuple[dict[str, tuple[bytes, str]], list[int]]:
    """Return {file name: (bytes, content type)} (original.jpg, <width>.webp and <width>.jpg) and the widths."""
    files = {"original.jpg": (_save(image, "JPEG", quality=90, optimize=True), "image/jpeg")}
    widths = [w for w in VARIANT_WIDTHS if w < image.width] or [image.width]
    if image.width > widths[-1] and len(widths) < len(VARIANT_WIDTHS):
        widths.append(image.width)
    for width in widths:
        height = round(image.height * width / image.width)
        variant = image if width == image.width else image.resize((width, height), Image.Resampling.LANCZOS)
        files[f"{width}.webp"] = (_save(variant, "WEBP", quality=80, method=4), "image/webp")
        files[f"{width}.jpg"] = (_save(variant, "JPEG", quality=82, optimize=True, progressive=True), "image/jpeg")
    return files, widths


def _save(image: Image.Image, format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format, **options)
    return buffer.getvalue()


# Drawn illustrations for the demo catalogue (the project makes its own pictures).
FONT_FILES = ("DejaVuSans-Bold.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
              "LiberationSans-Bold.ttf", "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf")


def _font(size: int) -> tuple[ImageFont.FreeTypeFont | ImageFont.ImageFont, bool]:
    """Return a font with æ/ø/å if the system has one, else Pillow's default (and False: it lacks them)."""
    for name in FONT_FILES:
        try:
            return ImageFont.truetype(name, size), True
        except OSError:
            continue
    return ImageFont.load_default(size=size), False


def _spelt_out(text: str) -> str:
    return text.translate(str.maketrans({"æ": "ae", "Æ": "Ae", "ø": "o", "Ø": "O", "å": "a", "Å": "A"}))


def draw_illustration(
    label: str, steps, colours: dict[str, tuple[int, int, int]], *, canvas: tuple[int, int],
    object_box: tuple[int, int, int, int], background: tuple[int, int, int], ink: tuple[int, int, int],
) -> bytes:
    """Draw a simple illustration (the demo's product pictures) from shape steps; return JPEG bytes.

    Each step is (kind, coordinates from 0 to 1 across object_box, colour name, radius or width),
    kind being rect, ellipse, poly, line, arc or pie.
    """
    image = Image.new("RGB", canvas, background)
    draw = ImageDraw.Draw(image)
    x0, y0, x1, y1 = object_box
    width, height = x1 - x0, y1 - y0

    def at(fx: float, fy: float) -> tuple[float, float]:
        return (x0 + fx * width, y0 + fy * height)

    floor = tuple(round(c * 0.92) for c in background)
    draw.ellipse((x0 - 60, y1 - 30, x1 + 60, y1 + 50), fill=floor)
    for kind, coords, colour, extra in steps:
        fill = colours[colour]
        if kind == "rect":
            (ax, ay), (bx, by) = at(*coords[:2]), at(*coords[2:])
            draw.rounded_rectangle((ax, ay, bx, by), radius=extra * min(bx - ax, by - ay) / 2, fill=fill)
        elif kind == "ellipse":
            draw.ellipse((*at(*coords[:2]), *at(*coords[2:])), fill=fill)
        elif kind == "poly":
            draw.polygon([at(*p) for p in coords], fill=fill)
        elif kind == "line":
            draw.line([at(*p) for p in coords], fill=fill, width=extra, joint="curve")
        elif kind == "arc":
            draw.arc((*at(*coords[:2]), *at(*coords[2:4])), coords[4], coords[5], fill=fill, width=extra)
        elif kind == "pie":
            draw.pieslice((*at(*coords[:2]), *at(*coords[2:4])), coords[4], coords[5], fill=fill)

    brand_font, has_letters = _font(40)
    draw.text((70, 60), "Verkstedbutikken", font=brand_font, fill=ink)
    text = label if has_letters else _spelt_out(label)
    size = 96
    font, _ = _font(size)
    while draw.textlength(text, font=font) > canvas[0] - 160 and size > 40:
        size -= 6
        font, _ = _font(size)
    draw.text((canvas[0] / 2, 1010), text, font=font, fill=ink, anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


# --- Benchmark catalogue -----------------------------------------------------------------------------

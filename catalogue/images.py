"""The image pipeline (the only module that uses Pillow): orient, strip metadata, write WebP and JPEG variants."""
from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError

VARIANT_WIDTHS = (320, 800, 1600)
MAX_PIXELS = 40_000_000
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "MPO"}


class InvalidImage(Exception):
    """The upload is not an image we accept."""


@dataclass(frozen=True)
class StoredImage:
    storage_key: str
    width: int
    height: int
    widths: list[int]


def process_image(data: bytes, media_root: str | Path, *, prefix: str = "products") -> StoredImage:
    """Store an uploaded image and its variants under media_root; no EXIF (GPS included) survives.

    Raises:
        InvalidImage: the bytes are not a JPEG, PNG or WebP picture, or it is absurdly large.
    """
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ACCEPTED_FORMATS:
                raise InvalidImage(f"unsupported format {probe.format}")
            if probe.width * probe.height > MAX_PIXELS:
                raise InvalidImage("image too large")
            probe.load()
            image = ImageOps.exif_transpose(probe)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
        raise InvalidImage(str(error)) from error

    # Re-encoding from pixels alone drops EXIF, XMP and ICC-embedded metadata.
    image = _clean_rgb(image)
    key = f"{prefix}/{secrets.token_hex(2)}/{secrets.token_hex(8)}"
    folder = Path(media_root) / key
    folder.mkdir(parents=True, exist_ok=True)
    image.save(folder / "original.jpg", "JPEG", quality=90, optimize=True)

    widths = [w for w in VARIANT_WIDTHS if w < image.width] or [image.width]
    if image.width > widths[-1] and len(widths) < len(VARIANT_WIDTHS):
        widths.append(image.width)
    for width in widths:
        height = round(image.height * width / image.width)
        variant = image if width == image.width else image.resize((width, height), Image.Resampling.LANCZOS)
        variant.save(folder / f"{width}.webp", "WEBP", quality=80, method=4)
        variant.save(folder / f"{width}.jpg", "JPEG", quality=82, optimize=True, progressive=True)
    return StoredImage(storage_key=key, width=image.width, height=image.height, widths=widths)


def _clean_rgb(image: Image.Image) -> Image.Image:
    """Return a metadata-free RGB copy, flattening any transparency onto white."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    clean = Image.new("RGB", image.size)
    clean.paste(image.convert("RGB"))
    return clean


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

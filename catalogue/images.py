"""The image pipeline (the only module that uses Pillow): orient, strip metadata, write WebP and JPEG variants."""
from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

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

"""Pictures checked before they are sent: really an image, in a format and size the provider takes, no metadata.

The provider bills a call whose picture it then refuses, and a picture's metadata (the camera, the place, the time)
is personal data the check does not need. So each picture is decoded here with Pillow (never trusting its name or
content type), held to the check's limits (:class:`~django_ekyc.catalogue.pictures.PictureLimits`), turned upright
by its EXIF orientation and encoded again without any metadata, in its own format. Pillow is the optional extra
``django-ekyc[pictures]``: without it the checks from pictures say so (:func:`imaging_available`).
"""

from __future__ import annotations

import base64
import io
import warnings
from dataclasses import dataclass
from typing import Any

from django_ekyc.catalogue.pictures import PictureLimits

try:
    from PIL import Image, ImageOps, UnidentifiedImageError
except ImportError:  # pragma: no cover - the extra is installed wherever the tests run
    HAVE_PILLOW = False
else:
    HAVE_PILLOW = True

__all__ = ["PictureProblem", "PreparedPicture", "imaging_available", "prepare_picture"]

# A JPEG is encoded again at the first of these qualities that fits the check's size: a camera's own quality is
# often lower than the first, and a picture must not be refused for a size its user never sent.
JPEG_QUALITIES = (95, 88, 80, 70, 60)
# What an upload may be (MPO: a phone's JPEG with a second picture inside, an HDR gain map; its first is sent). The
# decoders Pillow may use are only these. A check that takes only JPEG (DeepfakeDetectIntl) gets a PNG converted.
READABLE_FORMATS = ("JPEG", "PNG")  # Pillow's JPEG opener gives an MPO where there is one
JPEG_LIKE = frozenset({"JPEG", "MPO"})


class PictureProblem(ValueError):
    """A picture that cannot be sent: ``code`` is stable (``picture_not_an_image``...), ``message`` is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class PreparedPicture:
    """A picture as it will be sent: decoded, checked, re-encoded without metadata."""

    data: bytes
    format: str
    width: int
    height: int

    def __repr__(self) -> str:  # the bytes are a face or a document: personal data
        return f"PreparedPicture({self.format}, {self.width}x{self.height}, {len(self.data)} bytes)"

    @property
    def base64(self) -> str:
        return base64.b64encode(self.data).decode("ascii")


def imaging_available() -> bool:
    """Whether Pillow is installed (``pip install django-ekyc[pictures]``)."""
    return HAVE_PILLOW


def prepare_picture(data: bytes, limits: PictureLimits) -> PreparedPicture:
    """``data`` decoded, checked against ``limits`` and encoded again without metadata; else :class:`PictureProblem`.

    The size is checked before decoding (an upload too large is refused unread) and again after encoding; the
    dimensions are read from the header before the pixels are, so a decompression bomb is refused undecoded."""
    if not HAVE_PILLOW:
        raise PictureProblem("imaging_unavailable", "Pictures cannot be checked: install django-ekyc[pictures].")
    if not data:
        raise PictureProblem("picture_empty", "The picture is empty.")
    _check_size(len(data), limits)
    image = _opened(data, limits)
    try:
        source = "JPEG" if image.format in JPEG_LIKE else str(image.format)
        target = source if source in limits.formats else "JPEG"
        upright = ImageOps.exif_transpose(image) or image
        encoded = _encoded(upright, target, limits.max_bytes)
    finally:
        image.close()
    if len(encoded) > limits.max_bytes:
        raise PictureProblem(
            "picture_too_large", f"The picture is too detailed to fit in {limits.max_bytes} bytes: send a smaller one."
        )
    return PreparedPicture(encoded, target, upright.width, upright.height)


def _opened(data: bytes, limits: PictureLimits) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=READABLE_FORMATS)
        except UnidentifiedImageError:
            raise _unreadable(data) from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning, OSError):
            raise PictureProblem("picture_not_an_image", "The file is not a picture this check can read.") from None
        _check_dimensions(image.width, image.height, limits)
        try:
            image.load()
        except (OSError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning):
            image.close()
            raise PictureProblem("picture_not_an_image", "The picture is damaged or incomplete.") from None
    return image


def _unreadable(data: bytes) -> PictureProblem:
    """Why Pillow (given only the JPEG and PNG decoders) could not open ``data``: another format, or no picture."""
    try:
        with Image.open(io.BytesIO(data)) as other:
            return PictureProblem("picture_format", f"A {other.format} picture cannot be sent: use JPEG or PNG.")
    except Exception:  # not an image at all: whatever Pillow raises for it
        return PictureProblem("picture_not_an_image", "The file is not a picture this check can read.")


def _encoded(image: Any, image_format: str, max_bytes: int) -> bytes:
    """The pixels alone, in ``image_format``: a copy with no ``info`` carries no EXIF, XMP, ICC profile, comment or
    text chunk (Pillow would carry some of the decoded image's over when saving it)."""
    bare = _plain_mode(image, image_format)
    bare = bare.copy() if bare is image else bare
    bare.info = {}
    if image_format != "JPEG":
        out = io.BytesIO()
        bare.save(out, image_format)
        return out.getvalue()
    for quality in JPEG_QUALITIES:
        out = io.BytesIO()
        bare.save(out, "JPEG", quality=quality)
        if out.tell() <= max_bytes:
            break
    return out.getvalue()


def _plain_mode(image: Any, image_format: str) -> Any:
    """A mode the format writes and the provider reads: 8 bits a channel (16-bit and float greyscale scaled down,
    not clipped to white), RGB for a JPEG."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    elif image.mode == "F":
        image = image.point(lambda value: value * 255).convert("L")
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA" if "transparency" in image.info or image.mode in ("PA", "RGBa") else "RGB")
    if image_format == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    return image


def _check_size(size: int, limits: PictureLimits) -> None:
    if size > limits.max_bytes:
        raise PictureProblem(
            "picture_too_large", f"The picture is {size} bytes; this check takes at most {limits.max_bytes} bytes."
        )


def _check_dimensions(width: int, height: int, limits: PictureLimits) -> None:
    if width * height > limits.max_pixels:
        raise PictureProblem(
            "picture_dimensions", f"The picture is {width}x{height} pixels: at most {limits.max_pixels} pixels."
        )
    short, long = sorted((width, height))
    if not (
        limits.min_short_side <= short <= limits.max_short_side and limits.min_long_side <= long <= limits.max_long_side
    ):
        raise PictureProblem(
            "picture_dimensions",
            f"The picture is {width}x{height} pixels; this check takes {limits.min_long_side}x{limits.min_short_side} "
            f"to {limits.max_long_side}x{limits.max_short_side} (either way up).",
        )

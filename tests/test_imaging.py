"""Pictures checked before sending: decoded, held to the check's limits, upright, without metadata."""

from __future__ import annotations

import io

import pytest
from PIL import Image, PngImagePlugin

from django_ekyc.catalogue.pictures import DEEPFAKE_LIMITS, DOCUMENT_LIMITS, FACE_LIMITS, PictureLimits
from django_ekyc.imaging import PictureProblem, prepare_picture


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def photo(width: int = 640, height: int = 480) -> Image.Image:
    image = Image.new("RGB", (width, height), (200, 120, 40))
    image.putpixel((0, 0), (1, 2, 3))
    return image


def problem(data: bytes, limits: PictureLimits = FACE_LIMITS) -> str:
    with pytest.raises(PictureProblem) as raised:
        prepare_picture(data, limits)
    return raised.value.code


def test_a_jpeg_is_sent_as_a_jpeg_without_exif_gps_or_icc():
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"
    exif[0x8825] = {2: (51.0, 30.0, 0.0)}
    data = encoded(photo(), "JPEG", exif=exif, icc_profile=b"\x00" * 128, comment=b"my kitchen")
    prepared = prepare_picture(data, FACE_LIMITS)
    assert prepared.format == "JPEG" and (prepared.width, prepared.height) == (640, 480)
    image = Image.open(io.BytesIO(prepared.data))
    assert not image.getexif() and "icc_profile" not in image.info and b"my kitchen" not in prepared.data
    assert b"SecretCam" not in prepared.data and "JPEG" in repr(prepared) and "SecretCam" not in repr(prepared)


def test_a_png_keeps_its_pixels_and_loses_its_text():
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Alice Example")
    data = encoded(photo(), "PNG", pnginfo=info)
    prepared = prepare_picture(data, FACE_LIMITS)
    assert prepared.format == "PNG" and b"Alice Example" not in prepared.data
    assert Image.open(io.BytesIO(prepared.data)).getpixel((0, 0)) == (1, 2, 3)  # lossless: the same pixels


def test_the_exif_orientation_is_applied_before_it_is_dropped():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees to display
    prepared = prepare_picture(encoded(photo(640, 480), "JPEG", exif=exif), FACE_LIMITS)
    assert (prepared.width, prepared.height) == (480, 640)


def test_a_png_is_converted_for_a_check_that_takes_only_jpeg():
    prepared = prepare_picture(encoded(photo(), "PNG"), DEEPFAKE_LIMITS)
    assert prepared.format == "JPEG" and prepared.data.startswith(b"\xff\xd8")


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "picture_empty"),
        (b"<html>not a picture</html>", "picture_not_an_image"),
        (encoded(photo(), "GIF"), "picture_format"),
        (encoded(photo(), "WEBP"), "picture_format"),
        (encoded(photo(100, 100), "PNG"), "picture_dimensions"),
        (encoded(photo(4000, 3000), "PNG"), "picture_dimensions"),
        (encoded(photo(), "PNG")[:200], "picture_not_an_image"),  # cut short
    ],
)
def test_what_cannot_be_sent_is_refused_with_its_code(data, code):
    assert problem(data) == code


def test_either_way_up_fits_and_documents_take_their_own_sides():
    assert prepare_picture(encoded(photo(480, 640), "PNG"), FACE_LIMITS).height == 640
    assert prepare_picture(encoded(photo(300, 250), "PNG"), DOCUMENT_LIMITS).width == 300
    assert problem(encoded(photo(300, 250), "PNG")) == "picture_dimensions"


def test_the_size_is_checked_before_and_after_encoding():
    small = PictureLimits(max_bytes=2000)
    assert problem(encoded(photo(), "PNG") + b"\x00" * 3000, small) == "picture_too_large"


def test_a_decompression_bomb_is_refused_unread(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    huge = PictureLimits(max_short_side=100_000, max_long_side=100_000)
    assert problem(encoded(photo(), "PNG"), huge) == "picture_not_an_image"


def test_a_phones_mpo_jpeg_is_sent_as_its_first_picture():
    out = io.BytesIO()
    photo().save(out, "MPO", save_all=True, append_images=[photo(640, 480)])
    assert Image.open(io.BytesIO(out.getvalue())).format == "MPO"
    prepared = prepare_picture(out.getvalue(), FACE_LIMITS)
    assert prepared.format == "JPEG" and Image.open(io.BytesIO(prepared.data)).format == "JPEG"


def test_a_16_bit_grey_picture_keeps_its_greys():
    grey = Image.new("I;16", (640, 480), 30000)
    prepared = prepare_picture(encoded(grey, "PNG"), FACE_LIMITS)
    assert Image.open(io.BytesIO(prepared.data)).getextrema() == (117, 117)  # 30000 / 256, not clipped to 255


def test_a_jpeg_is_encoded_again_at_a_quality_that_fits():
    import random

    rng = random.Random(3)
    noisy = Image.frombytes("RGB", (900, 700), bytes(rng.getrandbits(8) for _ in range(900 * 700 * 3)))
    data = encoded(noisy, "JPEG", quality=75)
    limits = PictureLimits(max_bytes=len(data) + 1000, max_short_side=2000, max_long_side=2000)
    prepared = prepare_picture(data, limits)  # at 95 it would be about twice the upload
    assert len(prepared.data) <= limits.max_bytes


def test_a_picture_of_too_many_pixels_is_refused_before_decoding():
    limits = PictureLimits(max_bytes=10**8, max_short_side=9000, max_long_side=9000, max_pixels=1_000_000)
    assert problem(encoded(Image.new("P", (2000, 2000)), "PNG"), limits) == "picture_dimensions"

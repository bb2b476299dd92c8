"""Simulated JPEG pictures whose meaning is in their dimensions, so that it survives being encoded again.

A check that takes only JPEG (DeepfakeDetectIntl) gets a site's picture as a JPEG, and a JPEG encoded again keeps
no pixel exactly: the :mod:`~django_ekyc.simulator.picture_marks` payload would not survive, and the standard
library cannot decode a JPEG. Its size in pixels survives, and the frame header that states it is easy to read. So
a simulated JPEG is a flat grey baseline JPEG (written here, every block a zero DC and an end-of-block) whose width
says its flags (640 + 1 for a deepfake, + 2 for a bad photo, + 4 for a faceless one) and whose height says whose
face it is (480 + a byte of the person's CRC-32: the person reads back as ``jpeg-<that byte>``).
"""

from __future__ import annotations

import struct
import zlib

from django_ekyc.simulator.picture_marks import Marks

__all__ = ["jpeg_marks_of", "sample_jpeg"]

BASE_WIDTH, BASE_HEIGHT = 640, 480
DEEPFAKE, BAD_QUALITY, FACELESS = 1, 2, 4
SOI, EOI = b"\xff\xd8", b"\xff\xd9"
START_OF_FRAME = frozenset({0xC0, 0xC1, 0xC2})


def person_byte(person: str) -> int:
    return zlib.crc32(person.encode("utf-8")) % 256


def jpeg_person(person: str) -> str:
    """How the simulator names the person of a JPEG sample of ``person``."""
    return f"jpeg-{person_byte(person)}"


def sample_jpeg(*, person: str | None = "alice", deepfake: bool = False, quality: str = "good") -> bytes:
    """A valid grey JPEG (one component, 8-bit, baseline) carrying its marks in its width and height."""
    flags = (DEEPFAKE if deepfake else 0) | (BAD_QUALITY if quality == "bad" else 0) | (FACELESS if not person else 0)
    width, height = BASE_WIDTH + flags, BASE_HEIGHT + (person_byte(person) if person else 0)
    blocks = -(-width // 8) * -(-height // 8)
    bits = 2 * blocks  # per block: DC category 0 (code "0"), then end-of-block (code "0")
    scan = bytes(bits // 8) + (bytes([0xFF >> (bits % 8)]) if bits % 8 else b"")
    if scan.endswith(b"\xff"):
        scan += b"\x00"  # byte stuffing
    return b"".join(
        (
            SOI,
            _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"),
            _segment(0xDB, b"\x00" + bytes([1] * 64)),
            _segment(0xC0, struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00"),
            # One code each, of length 1: DC category 0, AC end-of-block.
            _segment(0xC4, b"\x00" + bytes([1] + [0] * 15) + b"\x00"),
            _segment(0xC4, b"\x10" + bytes([1] + [0] * 15) + b"\x00"),
            _segment(0xDA, b"\x01\x01\x00\x00\x3f\x00"),
            scan,
            EOI,
        )
    )


def _segment(marker: int, body: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body


def jpeg_marks_of(data: bytes) -> Marks | None:
    """The marks of a JPEG sample (also after a site encoded it again), None for any other picture."""
    size = _frame_size(data)
    if size is None:
        return None
    width, height = size
    flags, offset = width - BASE_WIDTH, height - BASE_HEIGHT
    if not (0 <= flags < 8 and 0 <= offset < 256):
        return None
    person = None if flags & FACELESS else f"jpeg-{offset}"
    return Marks(
        kind="face", person=person, deepfake=bool(flags & DEEPFAKE), quality="bad" if flags & BAD_QUALITY else "good"
    )


def _frame_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a JPEG's start-of-frame header; None when it is not a JPEG or has none."""
    if not data.startswith(SOI):
        return None
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
            position += 1 if marker == 0xFF else 2
            continue
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        if marker in START_OF_FRAME and position + 9 <= len(data):
            height, width = struct.unpack(">HH", data[position + 5 : position + 9])
            return width, height
        if marker == 0xDA:
            return None
        position += 2 + length
    return None

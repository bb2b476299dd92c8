"""Simulated pictures whose meaning is in their pixels, so that it survives a site's metadata stripping.

A site decodes an uploaded picture and re-encodes it (PNG stays PNG) before sending it to the provider, which drops
every text chunk. So the simulator writes what a picture shows (a face or a document, whose, whether it is a
deepfake, a bad photo or a spoofed document) into the first pixel rows: a magic prefix, a length and a compact JSON
object, one byte per colour channel; the rest of the picture is one flat colour. Only the standard library is used,
to write the PNG and to read it back (every PNG filter type, RGB and RGBA at 8 bits: what Pillow writes).
"""

from __future__ import annotations

import json
import random
import struct
import zlib
from dataclasses import asdict, dataclass
from urllib.parse import parse_qsl

__all__ = ["KINDS", "QUALITIES", "Marks", "marks_of", "sample_picture"]

MAGIC = b"EKYCSIM1"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PERSON_KEYWORD = b"ekyc-simulator-person"  # the text chunk data._png writes: read by older callers
KINDS = ("face", "document")
QUALITIES = ("good", "bad")
BACKGROUND = (90, 120, 150)
MAX_MARKS_BYTES = 4096  # a payload longer than this is not one the simulator wrote
MAX_SIDE = 20_000  # a picture claiming more pixels per side than this is not read (a decompression bomb)
MAX_SAMPLE_PIXELS = 16_000_000  # what sample_picture draws at most (48 MB before compression)
MAX_PAD = 20 * 1024 * 1024  # pad_to at most: twice the largest limit the provider documents (10 MB)
SAMPLE_FIELDS = ("kind", "person", "width", "height", "deepfake", "quality", "document", "spoof", "pad_to")
SAMPLE_PATH = "/_sim/sample-picture"  # GET it with sample_picture's arguments; a picture URL there is "fetched"


@dataclass(frozen=True)
class Marks:
    """What a simulated picture shows. ``person``: whose face (None: a faceless picture) or whose document."""

    kind: str = "face"
    person: str | None = None
    deepfake: bool = False
    quality: str = "good"
    document: str = ""  # the document type code of a document picture (GLB03002, CHN01001...)
    spoof: bool = False

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sample_picture(
    *,
    kind: str = "face",
    person: str | None = "alice",
    width: int = 640,
    height: int = 480,
    deepfake: bool = False,
    quality: str = "good",
    document: str = "",
    spoof: bool = False,
    pad_to: int = 0,
) -> bytes:
    """A PNG (RGB, 8 bits) carrying its marks in its pixels; ``pad_to`` makes it at least that many bytes (rows of
    random noise, which do not compress), so that a picture over a size limit can be sent."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    if quality not in QUALITIES:
        raise ValueError(f"quality must be one of {', '.join(QUALITIES)}")
    if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE and width * height <= MAX_SAMPLE_PIXELS):
        raise ValueError(f"width and height: 1 to {MAX_SIDE}, {MAX_SAMPLE_PIXELS} pixels at most")
    if not 0 <= pad_to <= MAX_PAD:
        raise ValueError(f"pad_to: 0 to {MAX_PAD}")
    marks = Marks(kind, person, deepfake, quality, document, spoof).to_json()
    payload = MAGIC + struct.pack(">I", len(marks)) + marks
    row_bytes = width * 3
    flat = bytes(BACKGROUND) * width
    payload += flat[: -len(payload) % row_bytes]  # the last marked row ends in the background colour
    marked = [payload[start : start + row_bytes] for start in range(0, len(payload), row_bytes)]
    if len(marked) > height:
        raise ValueError("the picture is too small for its marks: make it wider or taller")
    flat_rows, noise_rows = height - len(marked), 0
    named = person if kind == "face" else None  # the text chunk data.person_in read before marks: faces only
    png = _encode(width, [*marked, *[flat] * flat_rows], named)
    while len(png) < pad_to:  # noise rows replace flat ones from the bottom up, then make the picture taller
        noise_rows += -(-(pad_to - len(png)) // (row_bytes + 1))
        noise = random.Random(f"{width}:{pad_to}").randbytes(row_bytes * noise_rows)
        rows = [*marked, *[flat] * max(0, flat_rows - noise_rows)]
        rows += [noise[start : start + row_bytes] for start in range(0, len(noise), row_bytes)]
        png = _encode(width, rows, named)
    return png


def sample_from_query(query: str) -> bytes:
    """:func:`sample_picture` for the query string of ``GET /_sim/sample-picture`` (``person=`` empty: a faceless
    picture; flags 1/0, true/false, yes/no). ValueError names what is wrong."""
    fields = dict(parse_qsl(query, keep_blank_values=True))
    unknown = sorted(set(fields) - set(SAMPLE_FIELDS))
    if unknown:
        raise ValueError(f"unknown parameter {unknown[0]!r}")
    person = fields.get("person", "alice")
    return sample_picture(
        kind=fields.get("kind", "face"),
        person=person or None,
        width=_number(fields, "width", 640),
        height=_number(fields, "height", 480),
        deepfake=_flag(fields, "deepfake"),
        quality=fields.get("quality", "good"),
        document=fields.get("document", ""),
        spoof=_flag(fields, "spoof"),
        pad_to=_number(fields, "pad_to", 0),
    )


def _number(fields: dict[str, str], name: str, default: int) -> int:
    value = fields.get(name, str(default))
    if not value.isdigit():
        raise ValueError(f"{name} must be a whole number")
    return int(value)


def _flag(fields: dict[str, str], name: str) -> bool:
    value = fields.get(name, "0").lower()
    if value not in ("1", "0", "true", "false", "yes", "no", ""):
        raise ValueError(f"{name} must be 1 or 0")
    return value in ("1", "true", "yes")


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _encode(width: int, rows: list[bytes], person: str | None) -> bytes:
    header = struct.pack(">IIBBBBB", width, len(rows), 8, 2, 0, 0, 0)
    text = _chunk(b"tEXt", PERSON_KEYWORD + b"\x00" + person.encode("utf-8")) if person else b""
    pixels = zlib.compress(b"".join(b"\x00" + row for row in rows), 9)
    return PNG_SIGNATURE + _chunk(b"IHDR", header) + text + _chunk(b"IDAT", pixels) + _chunk(b"IEND", b"")


# -- reading the marks back ----------------------------------------------------------------------------------


def marks_of(data: bytes) -> Marks | None:
    """The marks of a simulated picture, re-encoded or not; None for anything else (a camera JPEG, another PNG,
    a PNG of a colour type or bit depth the simulator never writes, a damaged one)."""
    try:
        pixels = _Pixels(data)
        head = pixels.read(len(MAGIC) + 4)
        if head[: len(MAGIC)] != MAGIC:
            return None
        (length,) = struct.unpack(">I", head[len(MAGIC) :])
        if length > MAX_MARKS_BYTES:
            return None
        return _marks(json.loads(pixels.read(length).decode("utf-8")))
    except (ValueError, struct.error, zlib.error, KeyError):
        return None


def _marks(decoded: object) -> Marks | None:
    if not isinstance(decoded, dict):
        return None
    person = decoded.get("person")
    marks = Marks(
        kind=str(decoded["kind"]),
        person=None if person is None else str(person),
        deepfake=decoded.get("deepfake") is True,
        quality=str(decoded.get("quality", "good")),
        document=str(decoded.get("document", "")),
        spoof=decoded.get("spoof") is True,
    )
    return marks if marks.kind in KINDS and marks.quality in QUALITIES else None


class _Pixels:
    """A PNG's colour bytes (R, G, B of each pixel, left to right, top to bottom; alpha left out), decoded only as
    far as they are read. ValueError for what is not a PNG the simulator reads."""

    def __init__(self, data: bytes) -> None:
        if not data.startswith(PNG_SIGNATURE):
            raise ValueError("not a PNG")
        header, compressed = _chunks(data)
        width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
        if depth != 8 or colour not in (2, 6) or interlace != 0 or not (0 < width <= MAX_SIDE and height > 0):
            raise ValueError("a PNG the simulator does not read")
        self.pixel_bytes = 3 if colour == 2 else 4
        self.row_bytes = width * self.pixel_bytes
        self.rows_left = height
        self.previous = bytes(self.row_bytes)
        self.inflate = zlib.decompressobj()
        self.compressed = compressed
        self.pending = b""
        self.buffer = bytearray()

    def read(self, count: int) -> bytes:
        while len(self.buffer) < count:
            self.buffer += self._next_row()
        taken = bytes(self.buffer[:count])
        del self.buffer[:count]
        return taken

    def _next_row(self) -> bytes:
        if self.rows_left == 0:
            raise ValueError("the picture ends before its marks do")
        self.rows_left -= 1
        raw = self._inflated(1 + self.row_bytes)
        row = _unfilter(raw[0], bytearray(raw[1:]), self.previous, self.pixel_bytes)
        self.previous = row
        if self.pixel_bytes == 3:
            return row
        return b"".join(row[start : start + 3] for start in range(0, len(row), 4))

    def _inflated(self, count: int) -> bytes:
        while len(self.pending) < count:
            more = self.inflate.decompress(self.inflate.unconsumed_tail or self.compressed, count)
            self.compressed = b""
            if not more:
                raise ValueError("the pixel data ends early")
            self.pending += more
        taken, self.pending = self.pending[:count], self.pending[count:]
        return taken


def _chunks(data: bytes) -> tuple[bytes, bytes]:
    """IHDR's body and every IDAT's, joined."""
    position, header, idat = len(PNG_SIGNATURE), b"", bytearray()
    while position + 8 <= len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind, body = data[position + 4 : position + 8], data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        position += 12 + length
    if len(header) != 13 or not idat:
        raise ValueError("no IHDR or no IDAT")
    return header, bytes(idat)


def _unfilter(kind: int, row: bytearray, above: bytes, step: int) -> bytes:
    """Undo one of PNG's five filters (0 None, 1 Sub, 2 Up, 3 Average, 4 Paeth) on a row, in place."""
    if kind == 0:
        return bytes(row)
    if kind == 2:
        return bytes((value + up) & 0xFF for value, up in zip(row, above, strict=True))
    if kind not in (1, 3, 4):
        raise ValueError(f"PNG filter type {kind} does not exist")
    for index in range(len(row)):
        left = row[index - step] if index >= step else 0
        if kind == 1:
            row[index] = (row[index] + left) & 0xFF
        elif kind == 3:
            row[index] = (row[index] + (left + above[index]) // 2) & 0xFF
        else:
            corner = above[index - step] if index >= step else 0
            row[index] = (row[index] + _paeth(left, above[index], corner)) & 0xFF
    return bytes(row)


def _paeth(left: int, up: int, corner: int) -> int:
    estimate = left + up - corner
    to_left, to_up, to_corner = abs(estimate - left), abs(estimate - up), abs(estimate - corner)
    if to_left <= to_up and to_left <= to_corner:
        return left
    return up if to_up <= to_corner else corner

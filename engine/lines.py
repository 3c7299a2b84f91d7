"""Source lines of an upload: a sampled index of line offsets (built once, at processing time) and
the pieces a line view needs (cut a byte range into lines, cut a record into cells).

The index keeps the byte offset of every LINE_INDEX_STEP-th physical line, so a view of a few lines
reads at most about two steps of lines, whatever the size of the file.
"""

import io
import re
from dataclasses import dataclass

import numpy as np

from .read import BOM, UTF16_BOMS, delimiter_detect, sep_line
from .scan import line_breaks

LINE_INDEX_STEP = 256
_LINE_END = re.compile(rb"\r\n|\n|\r")
_TEXT_LINE_END = re.compile(r"\r\n|\n|\r")


@dataclass(frozen=True)
class LineIndex:
    offsets: np.ndarray  # start of lines 1, 1 + step, 1 + 2·step, …, then the file size
    step: int
    lines: int  # physical lines in the file
    header: tuple[int, int]  # byte span of the header line (the first line that is not blank)

    def span(self, first: int, last: int) -> tuple[int, int, int]:
        """A byte range holding lines first..last (clipped to the file) and the line it starts with."""
        first, last = max(1, first), min(max(first, last), max(self.lines, 1))
        low = (first - 1) // self.step
        high = min((last - 1) // self.step + 1, self.offsets.size - 1)
        return int(self.offsets[low]), int(self.offsets[high]), 1 + low * self.step

    def to_bytes(self) -> bytes:
        out = io.BytesIO()
        np.savez(out, offsets=self.offsets, meta=np.array([self.step, self.lines, *self.header], dtype=np.int64))
        return out.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> "LineIndex":
        with np.load(io.BytesIO(data), allow_pickle=False) as stored:
            step, lines, start, end = (int(v) for v in stored["meta"])
            return cls(offsets=stored["offsets"], step=step, lines=lines, header=(start, end))


def line_index_build(data: bytes, *, step: int = LINE_INDEX_STEP) -> LineIndex:
    # UTF-16 with its mark: line ends are found among 2-byte code units, offsets stay in bytes
    utf16 = UTF16_BOMS.get(bytes(data[:2])) if len(data) % 2 == 0 else None
    unit, skip = (2, 2) if utf16 else (1, 0)
    dtype = {"utf-16-le": "<u2", "utf-16-be": ">u2"}[utf16[0]] if utf16 else np.uint8
    arr = np.frombuffer(data, dtype=dtype, offset=skip)
    break_starts, break_ends = line_breaks(arr, cr_present=utf16 is not None or b"\r" in data)
    break_starts, break_ends = break_starts * unit + skip, break_ends * unit + skip
    starts = np.concatenate([[0], break_ends]).astype(np.int64)
    if starts.size > 1 and starts[-1] == len(data):  # a line end closing the file opens no line
        starts = starts[:-1]
    ends = np.append(break_starts, len(data))[: starts.size]
    header = (0, 0)
    for number, (start, end) in enumerate(zip(starts[:1000], ends[:1000])):  # blank lines above are few
        text = text_decode(bytes(data[start:end]))
        if text.strip() and not (number == 0 and sep_line(text[:16])):  # a `sep=` line is no header
            header = (int(start), int(end))
            break
    offsets = np.append(starts[::step], len(data)).astype(np.int64)
    return LineIndex(offsets=offsets, step=step, lines=int(starts.size) if len(data) else 0, header=header)


def text_decode(data: bytes) -> str:
    """UTF-8 when it is, else cp1252 as the reader does; a BOM is dropped. Text with NUL bytes is from
    a UTF-16 file (the reader refuses NULs in any other), its byte order told by where they fall."""
    if b"\x00" in data:
        for mark, (encoding, _) in UTF16_BOMS.items():
            if data.startswith(mark):
                return data[2:].decode(encoding, errors="replace")
        odd_zeros = data[1::2].count(0) >= data[0::2].count(0)
        return data.decode("utf-16-le" if odd_zeros else "utf-16-be", errors="replace")
    data = data[len(BOM) :] if data.startswith(BOM) else data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def lines_split(chunk: bytes, *, first_line: int, wanted: tuple[int, int]) -> list[tuple[int, str]]:
    """(line number, text) of the wanted lines in a chunk that starts at `first_line`."""
    if b"\x00" in chunk:  # UTF-16: decoded first, so that line ends are characters, not bytes
        text = text_decode(chunk)
        parts = _TEXT_LINE_END.split(text)
        if parts and parts[-1] == "" and text.endswith(("\n", "\r")):
            parts.pop()
        low, high = wanted
        return [(first_line + i, part) for i, part in enumerate(parts) if low <= first_line + i <= high]
    parts = _LINE_END.split(chunk)
    if parts and parts[-1] == b"" and chunk.endswith((b"\n", b"\r")):
        parts.pop()
    low, high = wanted
    return [(first_line + i, text_decode(part)) for i, part in enumerate(parts) if low <= first_line + i <= high]


def header_cells(text: str) -> tuple[str, list[str]]:
    """The delimiter of a header line and its cells as read."""
    delimiter = delimiter_detect(text)
    return delimiter, [text[start:end] for start, end, _ in cell_spans(text, delimiter)]


def cell_spans(text: str, delimiter: str) -> list[tuple[int, int, bool]]:
    """(start, end, quoted) of every cell of one record's text, quotes included; line breaks inside
    quotes stay inside their cell. A short Python walk: it runs on the one record a page shows."""
    spans, start, quoted, inside = [], 0, False, False
    for position, char in enumerate(text):
        if inside:
            inside = char != '"'  # a doubled quote closes and reopens at once
        elif char == '"':
            inside = True
            quoted = quoted or position == start
        elif char == delimiter:
            spans.append((start, position, quoted))
            start, quoted = position + 1, False
    spans.append((start, len(text), quoted))
    return spans


def record_lines(lines: list[tuple[int, str]], line: int, delimiter: str) -> int:
    """How many physical lines the record starting at `line` spans (quotes may hold line breaks)."""
    texts = [text for number, text in lines if number >= line]
    for count in range(1, len(texts) + 1):
        if "\n".join(texts[:count]).count('"') % 2 == 0:
            return count
    return max(len(texts), 1)

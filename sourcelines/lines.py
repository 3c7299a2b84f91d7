"""Source lines of an upload: a sparse index of line offsets (built once, at processing time) and
the pieces a line view needs (find a line's bytes through ranged reads, cut a record into cells).

The index keeps the byte offset of every LINE_INDEX_STEP-th physical line, and of every line that
starts in a new LINE_INDEX_BLOCK of the file. So any line starts less than a block after an indexed
line, and a line longer than a block is followed by an indexed line: its length is known without
reading it. A view of a few lines reads a few blocks, whatever the size of the file or its lines.
"""

import io
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from contract.dialect import UTF16_BOMS, delimiter_detect, sep_line, text_decode
from sourcelines.breaks import line_breaks

LINE_INDEX_STEP = 256
LINE_INDEX_BLOCK = 16 * 1024
UTF16_UNIT = 2  # bytes of one UTF-16 code unit
_LF_UNIT, _CR_UNIT = ord("\n"), ord("\r")
# UTF-8 continuation bytes are 0b10xxxxxx; UTF-16 low surrogates continue a character as well.
_UTF8_TOP_BITS, _UTF8_CONTINUATION = 0xC0, 0x80
_LOW_SURROGATE_FIRST, _LOW_SURROGATE_LAST = 0xDC00, 0xDFFF
READ_BLOCK = 8 * 1024  # one ranged read while looking for a line's end
CENSUS_BLOCK = 1024 * 1024  # one ranged read while counting the cells of a long line
_LINE_END = re.compile(rb"\r\n|\n|\r")
# A UTF-16 file's lines are found among its 2-byte code units; its offsets stay in bytes.
_UNIT_DTYPES = {"utf-16-le": "<u2", "utf-16-be": ">u2"}
_ENCODINGS = ("", *_UNIT_DTYPES)  # as stored in the index: "" is UTF-8 (or cp1252)

ReadRange = Callable[[int, int], bytes]  # bytes start..end-1 of the upload


@dataclass(frozen=True)
class LineIndex:
    offsets: np.ndarray  # start of each indexed line, then the file size
    numbers: np.ndarray  # the number of each indexed line (1-based), then lines + 1
    lines: int  # physical lines in the file
    header: tuple[int, int]  # byte span of the header line (the first line that is not blank)
    encoding: str = ""  # "utf-16-le" or "utf-16-be" for a file with that byte-order mark

    @property
    def size(self) -> int:
        return int(self.offsets[-1])

    def nearest(self, line: int) -> tuple[int, int]:
        """(number, offset) of the indexed line at or before `line`."""
        position = max(int(np.searchsorted(self.numbers, max(line, 1), side="right")) - 1, 0)
        return int(self.numbers[position]), int(self.offsets[position])

    def start(self, line: int) -> int | None:
        """Where `line` starts when it is indexed (the file size for the line after the last)."""
        position = int(np.searchsorted(self.numbers, line))
        if position < self.numbers.size and int(self.numbers[position]) == line:
            return int(self.offsets[position])
        return None

    def to_bytes(self) -> bytes:
        out = io.BytesIO()
        meta = np.array([LINE_INDEX_STEP, self.lines, *self.header, _ENCODINGS.index(self.encoding)], dtype=np.int64)
        np.savez(out, offsets=self.offsets, numbers=self.numbers, meta=meta)
        return out.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> "LineIndex":
        with np.load(io.BytesIO(data), allow_pickle=False) as stored:
            step, lines, start, end, *encoding = (int(v) for v in stored["meta"])
            offsets = stored["offsets"]
            if "numbers" in stored:
                numbers = stored["numbers"]
            else:  # an index stored before the blocks: every step-th line, then the file size
                numbers = np.append(1 + step * np.arange(offsets.size - 1, dtype=np.int64), lines + 1)
            encoding = _ENCODINGS[encoding[0]] if encoding else ""
            return cls(offsets=offsets, numbers=numbers, lines=lines, header=(start, end), encoding=encoding)


def line_index_build(data: bytes, *, step: int = LINE_INDEX_STEP, block: int = LINE_INDEX_BLOCK) -> LineIndex:
    # UTF-16 with its mark: line ends are found among 2-byte code units, offsets stay in bytes
    encoding = (UTF16_BOMS.get(bytes(data[:2])) or ("",))[0] if len(data) % 2 == 0 else ""
    unit, skip = (2, 2) if encoding else (1, 0)
    arr = np.frombuffer(data, dtype=_UNIT_DTYPES.get(encoding, np.uint8), offset=skip)
    break_starts, break_ends = line_breaks(arr, cr_present=bool(encoding) or b"\r" in data)
    break_starts, break_ends = break_starts * unit + skip, break_ends * unit + skip
    starts = np.concatenate([[0], break_ends]).astype(np.int64)
    if starts.size > 1 and starts[-1] == len(data):  # a line end closing the file opens no line
        starts = starts[:-1]
    ends = np.append(break_starts, len(data))[: starts.size]
    header = (0, 0)
    for number, (start, end) in enumerate(zip(starts[:1000], ends[:1000])):  # blank lines above are few
        text = text_decode(bytes(data[start:end]), encoding)
        if text.strip() and not (number == 0 and sep_line(text[:16])):  # a `sep=` line is no header
            header = (int(start), int(end))
            break
    lines = int(starts.size) if len(data) else 0
    kept = np.arange(starts.size) % step == 0
    kept[1:] |= starts[1:] // block != starts[:-1] // block  # the first line starting in a new block
    offsets = np.append(starts[kept], len(data)).astype(np.int64)
    numbers = np.append(np.flatnonzero(kept) + 1, lines + 1).astype(np.int64)
    return LineIndex(offsets=offsets, numbers=numbers, lines=lines, header=header, encoding=encoding)


@dataclass(frozen=True)
class LineRead:
    number: int
    start: int
    end: int  # the line break excluded
    head: bytes  # the line's first bytes, at most the `shown` asked for

    @property
    def cut(self) -> bool:
        return self.end - self.start > len(self.head)


class RangeReader:
    """Ranged reads of one file through a small buffer: the lines a view walks through sit in a few blocks."""

    def __init__(self, read_range: ReadRange, size: int, encoding: str = ""):
        self._read_range, self.size, self.encoding = read_range, size, encoding
        self.unit = UTF16_UNIT if encoding else 1  # bytes of one code unit
        self._start, self._data = 0, b""

    def read(self, start: int, end: int) -> bytes:
        start, end = max(start, 0), min(end, self.size)
        if end <= start:
            return b""
        if not (self._start <= start and end <= self._start + len(self._data)):
            self._start, self._data = start, self._read_range(start, min(self.size, max(end, start + READ_BLOCK)))
        return self._data[start - self._start : end - self._start]

    def _buffered(self, position: int) -> bytes:
        """The buffered bytes from `position` on, after reading a block there when none are."""
        if not self._start <= position < self._start + len(self._data):
            self._start, self._data = position, self._read_range(position, min(self.size, position + READ_BLOCK))
        return self._data[position - self._start :]

    def line_end(self, start: int) -> tuple[int, int]:
        """(end, start of the next line) of the line starting at `start`, read block by block."""
        position = start
        while position < self.size:
            chunk = self._buffered(position)
            if self.unit == UTF16_UNIT:
                chunk = chunk[: len(chunk) // 2 * 2]
                if not chunk:  # one odd byte left at the end of the file
                    return self.size, self.size
                units = np.frombuffer(chunk, dtype=_UNIT_DTYPES[self.encoding])
                ends = np.flatnonzero((units == _LF_UNIT) | (units == _CR_UNIT))
                if ends.size:
                    end = position + 2 * int(ends[0])
                    crlf = units[ends[0]] == _CR_UNIT and self.read(end + 2, end + 4) == "\n".encode(self.encoding)
                    return end, end + (4 if crlf else 2)
                position += len(chunk)
                continue
            found = _LINE_END.search(chunk)
            if found:
                end = position + found.start()
                if found.group() == b"\r" and found.end() == len(chunk) and self.read(end + 1, end + 2) == b"\n":
                    return end, end + 2
                return end, position + found.end()
            position += len(chunk)
        return self.size, self.size

    def blocks(self, start: int, end: int):
        """Bytes start..end-1 in unbuffered reads of CENSUS_BLOCK bytes (a long line, counted once)."""
        for block_start in range(start, end, CENSUS_BLOCK):
            yield self._read_range(block_start, min(end, block_start + CENSUS_BLOCK))

    def break_before(self, offset: int) -> int:
        """The length of the line break that ends right before `offset` (0 at the end of a file without one)."""
        if self.unit == UTF16_UNIT:
            tail = self.read(offset - 4, offset)
            return 4 if tail == "\r\n".encode(self.encoding) else 2 if tail[-2:] in _unit_breaks(self.encoding) else 0
        tail = self.read(offset - 2, offset)
        return 2 if tail.endswith(b"\r\n") else 1 if tail.endswith((b"\n", b"\r")) else 0


def _unit_breaks(encoding: str) -> tuple[bytes, bytes]:
    return "\n".encode(encoding), "\r".encode(encoding)


def lines_read(index: LineIndex, reader: RangeReader, first: int, last: int, *, shown: int) -> list[LineRead]:
    """Lines first..last (clipped to the file), each with at most its first `shown` bytes read."""
    first, last = max(first, 1), min(last, index.lines)
    shown -= shown % reader.unit  # whole code units
    number, offset = index.nearest(first)
    found = []
    while number <= last:
        following = index.start(number + 1)
        if following is not None:  # a long line, or the last one of a step: its end is indexed
            end = following - reader.break_before(following)
        else:
            end, following = reader.line_end(offset)
        if number >= first:
            head = reader.read(offset, min(end, offset + shown))
            found.append(LineRead(number=number, start=offset, end=end, head=head))
        number, offset = number + 1, following
    return found


def line_census(reader: RangeReader, start: int, end: int, delimiter: str) -> tuple[int, int]:
    """(characters, cells) of the record in bytes start..end-1, counted block by block: a line of
    millions of cells is never cut into Python objects. Characters are UTF-8's (bytes that do not
    continue a character); cells are cut at delimiters outside quotes, as `cell_spans` cuts them."""
    if reader.unit == UTF16_UNIT:
        return _line_census_units(reader, start, end, delimiter)
    separator = delimiter.encode()  # the delimiters detected are ASCII
    characters, delimiters, inside = 0, 0, 0
    for block in reader.blocks(start, end):
        if block.isascii():
            characters += len(block)
        else:
            characters += int(
                np.count_nonzero((np.frombuffer(block, dtype=np.uint8) & _UTF8_TOP_BITS) != _UTF8_CONTINUATION)
            )
        if b'"' not in block:  # the usual block: every delimiter counts, or none inside a quote
            delimiters += 0 if inside else block.count(separator)
            continue
        arr = np.frombuffer(block, dtype=np.uint8)
        quotes = np.flatnonzero(arr == ord('"'))
        quotes_before = np.searchsorted(quotes, np.flatnonzero(arr == separator[0])) + inside
        delimiters += int(np.count_nonzero(quotes_before % 2 == 0))
        inside = (inside + int(quotes.size)) % 2
    return characters, delimiters + 1


def header_cells(text: str) -> tuple[str, list[str]]:
    """The delimiter of a header line and its cells as read."""
    delimiter = delimiter_detect(text)
    return delimiter, [text[start:end] for start, end, _ in cell_spans(text, delimiter)]


def cell_spans(text: str, delimiter: str) -> list[tuple[int, int, bool]]:
    """(start, end, quoted) of every cell of one record's text, quotes included; line breaks inside
    quotes stay inside their cell. A short Python walk: it runs on the part of one record a page shows."""
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


def _line_census_units(reader: RangeReader, start: int, end: int, delimiter: str) -> tuple[int, int]:
    """`line_census` of a UTF-16 file: characters are code units that are not a surrogate's second
    half; cells are cut at delimiter units outside quotes."""
    characters, delimiters, inside = 0, 0, 0
    dtype = _UNIT_DTYPES[reader.encoding]
    for block in reader.blocks(start, end):
        units = np.frombuffer(block[: len(block) // 2 * 2], dtype=dtype)
        characters += int(np.count_nonzero((units < _LOW_SURROGATE_FIRST) | (units > _LOW_SURROGATE_LAST)))
        quotes = np.flatnonzero(units == ord('"'))
        quotes_before = np.searchsorted(quotes, np.flatnonzero(units == ord(delimiter))) + inside
        delimiters += int(np.count_nonzero(quotes_before % 2 == 0))
        inside = (inside + int(quotes.size)) % 2
    return characters, delimiters + 1

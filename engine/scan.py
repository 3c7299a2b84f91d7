"""The byte scan under reading: UTF-8 check, line ends, record spans, blank records and cells per record.

All numpy over the raw bytes, in blocks where a temporary would otherwise be as large as the file.
"""

import codecs

import numpy as np

from sourcelines.breaks import BLOCK, CR, LF

QUOTE = 34
# str.strip() whitespace below 128, line ends aside; bytes >= 128 may start or end a Unicode space.
WHITESPACE_ASCII = (9, 11, 12, 28, 29, 30, 31, 32)
ASCII_END = 128  # bytes from here on start (or continue) a multi-byte UTF-8 character


def utf8_valid(data) -> bool:
    """Decoded in blocks, so no copy of the whole text is ever made (the decoder carries split characters)."""
    if isinstance(data, bytes) and data.isascii():
        return True
    view = memoryview(data)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for low in range(0, len(view), BLOCK):
            decoder.decode(view[low : low + BLOCK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def record_spans(size: int, break_starts, break_ends, quotes) -> tuple[np.ndarray, np.ndarray]:
    """Byte spans of records: line ends with an even number of quotes before them end a record."""
    if quotes.size:
        outside = (np.searchsorted(quotes, break_starts) & 1) == 0
        break_starts, break_ends = break_starts[outside], break_ends[outside]
    starts = np.concatenate([[0], break_ends])
    ends = np.concatenate([break_starts, [size]])
    if starts[-1] == size:  # a line end closing the file opens no blank line
        starts, ends = starts[:-1], ends[:-1]
    return starts, ends


def blank_records(data, arr: np.ndarray, starts, ends, delimiter: str) -> np.ndarray:
    """Records that are an empty line or whitespace only (the delimiter is no whitespace here)."""
    blank = ends == starts
    first = arr[np.minimum(starts, max(arr.size - 1, 0))] if arr.size else np.zeros(0, np.uint8)
    maybe = np.flatnonzero(~blank & (np.isin(first, WHITESPACE_ASCII) | (first >= ASCII_END)))
    for position in maybe:
        text = bytes(data[starts[position] : ends[position]]).decode("utf-8")
        blank[position] = not text.strip() and delimiter not in text
    return blank


def quotes_regular(arr: np.ndarray, quotes: np.ndarray, delimiter: int) -> bool:
    """Every quote opens a field, closes it, or is doubled: then quote parity finds record ends."""
    if quotes.size == 0:
        return True
    bounds = np.array([delimiter, LF, CR, QUOTE], dtype=np.uint8)
    opening, closing = quotes[0::2], quotes[1::2]
    before = arr[np.maximum(opening - 1, 0)]
    after = arr[np.minimum(closing + 1, arr.size - 1)]
    return bool(
        np.all((opening == 0) | np.isin(before, bounds)) and np.all((closing == arr.size - 1) | np.isin(after, bounds))
    )


def delimiters_count(arr: np.ndarray, start: int, end: int, quotes, delimiter: int, limit: int) -> tuple[int, int]:
    """Cells of the record at [start, end), and where its cell number `limit` ends (`end` when it
    has no more): in small blocks, so that a line of ten million delimiters costs no large temporary."""
    width, cut, block = 1, end, max(BLOCK >> 3, 1)
    for low in range(start, end, block):
        high = min(low + block, end)
        at = np.flatnonzero(arr[low:high] == delimiter) + low
        if quotes.size:
            at = at[(np.searchsorted(quotes, at) & 1) == 0]
        if cut == end and width + at.size > limit:
            cut = int(at[limit - width])
        width += at.size
    return width, cut


def cells_scan(arr: np.ndarray, starts, ends, quotes, delimiter: int, mapped: set[int], *, cut_after: int):
    """Cells per record (delimiters outside quotes + 1), records where a mapped cell may hold
    surrounding whitespace (a whitespace-like byte at a cell edge), and the records with more than
    `cut_after` cells with the position where each should be cut. In blocks of whole records, so the
    temporaries stay small."""
    maybe_space = np.zeros(256, dtype=bool)
    maybe_space[list(WHITESPACE_ASCII)] = True
    maybe_space[128:] = True
    maybe_space[delimiter] = False
    cells = np.ones(starts.size, dtype=np.int32)
    cut_records, cut_at = [np.zeros(0, dtype=np.intp)], [np.zeros(0, dtype=np.intp)]
    suspect = np.zeros(starts.size, dtype=bool)
    size = arr.size
    first = 0
    while first < starts.size:
        last = int(np.searchsorted(starts, starts[first] + BLOCK, side="left"))
        # and a bounded number of records: the per-record temporaries of a file of blank lines stay small
        last = max(min(last, first + (BLOCK >> 3)), first + 1)
        # the block's records, with a byte of context each side; positions below are relative to base
        base = max(int(starts[first]) - 1, 0)
        view = arr[base : min(int(ends[last - 1]) + 1, size)]
        at = np.flatnonzero(view == delimiter)
        if quotes.size:
            at = at[(np.searchsorted(quotes, at + base) & 1) == 0]
        # delimiters of record r are at[before[r]:before[r + 1]]
        before = np.searchsorted(at, starts[first:last] - base)
        counted = np.diff(before, append=at.size)
        cells[first:last] += counted.astype(np.int32)
        over = np.flatnonzero(counted >= cut_after)
        if over.size:  # the delimiter closing cell number `cut_after`
            cut_records.append(first + over)
            cut_at.append(at[before[over] + cut_after - 1] + base)
        # Only delimiters with a whitespace-like byte beside them can end or start a padded cell.
        after = at + 1
        if after.size and after[-1] == view.size:  # the file ends on a delimiter
            after[-1] = at[-1]
        hits = np.flatnonzero(maybe_space[view[at - 1]] | maybe_space[view[after]])
        if hits.size:
            owner = np.searchsorted(before, hits, side="right") - 1
            left = hits - before[owner]  # cell index on the left of the delimiter
            hit = (maybe_space[view[at[hits] - 1]] & _mapped(left, mapped)) | (
                maybe_space[view[after[hits]]] & _mapped(left + 1, mapped)
            )
            suspect[first + owner[hit]] = True
        first = last
    filled = ends > starts
    edge_first = filled & maybe_space[arr[np.minimum(starts, size - 1)]] & (0 in mapped)
    edge_last = filled & maybe_space[arr[np.maximum(ends - 1, 0)]] & _mapped(cells - 1, mapped)
    suspect |= edge_first | edge_last
    if quotes.size:  # inside quotes any whitespace counts, line breaks and the delimiter too
        maybe_space[[delimiter, LF, CR]] = True
        inner = np.concatenate([quotes[0::2] + 1, quotes[1::2] - 1])
        inner = inner[(inner >= 0) & (inner < size)]
        inner = inner[maybe_space[arr[inner]]]
        suspect[np.searchsorted(starts, inner, side="right") - 1] = True
    return cells, suspect, (np.concatenate(cut_records), np.concatenate(cut_at))


def spans_drop(arr: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> bytes:
    """The bytes without the spans [starts, ends) (disjoint), without a Python loop over them."""
    edges = np.zeros(arr.size + 1, dtype=np.int8)
    edges[starts] += 1  # starts are distinct, and so are ends: no index repeats within one assignment
    edges[ends] -= 1
    inside = np.cumsum(edges[:-1], dtype=np.int8).view(bool)
    return arr[~inside].tobytes()


def _mapped(index: np.ndarray, mapped: set[int]) -> np.ndarray:
    table = np.zeros(max(mapped, default=0) + 2, dtype=bool)
    table[list(mapped)] = True
    return table[np.minimum(index, table.size - 1)]

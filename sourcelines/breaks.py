"""Where the physical lines of an upload end: LF, CRLF or a lone CR, found with numpy over the raw
bytes, in blocks where a temporary would otherwise be as large as the file. The engine's reader
and the line index (`sourcelines.lines`) both cut lines here."""

import numpy as np

LF, CR = 10, 13
BLOCK = 1 << 23  # bytes compared at once


def byte_positions(arr: np.ndarray, byte: int) -> np.ndarray:
    """np.flatnonzero(arr == byte), without a boolean temporary as large as the file."""
    found = [np.flatnonzero(arr[low : low + BLOCK] == byte) + low for low in range(0, arr.size, BLOCK)]
    return np.concatenate(found) if found else np.zeros(0, dtype=np.intp)


def line_breaks(arr: np.ndarray, *, cr_present: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Byte spans of every physical line end: LF, CRLF or a lone CR."""
    lf = byte_positions(arr, LF)
    cr = byte_positions(arr, CR) if cr_present else np.zeros(0, dtype=np.intp)
    if cr.size == 0:
        return lf, lf + 1
    after_cr = arr[np.minimum(cr + 1, arr.size - 1)]
    lone = cr[(cr + 1 == arr.size) | (after_cr != LF)]
    lf_starts = lf - ((lf > 0) & (arr[np.maximum(lf - 1, 0)] == CR))
    if lone.size == 0:
        return lf_starts, lf + 1
    starts = np.concatenate([lf_starts, lone])
    order = np.argsort(starts, kind="stable")
    return starts[order], np.concatenate([lf + 1, lone + 1])[order]

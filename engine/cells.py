"""Cutting cells: pandas' C parser over the file, chunk by chunk, into one column per field.

The key field stays an object array (nearly one value per record); every other field becomes a
Categorical (codes per record over its distinct values), so that 1M records hold a few thousand
strings, and later stages compare small integer codes.
"""

import io

import numpy as np
import pandas as pd

_CHUNK_ROWS = 1 << 18  # rows parsed at once: their Python strings live only until factorized


def cells_parse(
    data: bytes, *, delimiter: str, width: int, columns: dict[str, int], key: str, every_column: bool = False
) -> tuple[dict[str, list], int] | None:
    """The pieces of each field, in chunks, and the rows read; None when pandas cannot parse the
    data the way the byte scan cut it. (Parsing byte ranges in threads was tried: no faster on two
    cores, and each thread's malloc arena added ~80 MiB.)

    pandas refuses a chunk whose rows all have fewer cells than `width` when only some columns are
    asked for; `every_column` asks for all (`width` small, records cut to it), in smaller chunks."""
    try:
        return _parse(data, delimiter=delimiter, width=width, columns=columns, key=key, every_column=every_column)
    except (pd.errors.ParserError, ValueError):
        return None


def _parse(data: bytes, *, delimiter: str, width: int, columns: dict[str, int], key: str, every_column: bool):
    fields = sorted(columns, key=columns.get)
    parts: dict[str, list] = {f: [] for f in fields}
    rows = 0
    chunks = pd.read_csv(
        io.BytesIO(data),  # shares the bytes: no copy
        sep=delimiter,
        header=None,
        names=range(width),
        usecols=None if every_column else [columns[f] for f in fields],
        dtype=str,
        keep_default_na=False,
        na_filter=False,
        skip_blank_lines=False,
        quotechar='"',
        doublequote=True,
        encoding="utf-8",
        engine="c",
        chunksize=max(1_024, _CHUNK_ROWS * 8 // width) if every_column else _CHUNK_ROWS,
    )
    for chunk in chunks:
        for f in fields:
            values = chunk[columns[f]].to_numpy().copy()  # a copy: not a view pinning the chunk
            parts[f].append(values if f == key else _factorize(values))
        rows += len(chunk)
    return parts, rows


def _factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    codes, uniques = pd.factorize(values, sort=False)
    return codes.astype(np.min_scalar_type(max(uniques.size - 1, 0)), copy=False), uniques


def column_join(parts: list, *, size: int, kept: slice = slice(None), key: bool = False) -> pd.Series:
    """One column from consecutive pieces: the key's object arrays, or (codes, uniques) pairs
    whose values seen in several pieces become one category."""
    if key:
        return pd.Series(np.concatenate(parts)[kept] if parts else np.array([], dtype=object), dtype=object)
    if not parts:
        return pd.Series(pd.Categorical([], categories=[""]))
    merged, categories = pd.factorize(np.concatenate([uniques for _, uniques in parts]), sort=False)
    codes = np.empty(size, dtype=np.int32)
    row = offset = 0
    for chunk_codes, uniques in parts:
        codes[row : row + chunk_codes.size] = merged[offset : offset + uniques.size][chunk_codes]
        row, offset = row + chunk_codes.size, offset + uniques.size
    parts.clear()
    dtype = pd.CategoricalDtype(pd.Index(categories, dtype=object))
    return pd.Series(pd.Categorical.from_codes(codes[kept], dtype=dtype))


def cells_factorize(values: np.ndarray, *, key: bool):
    """One piece of a column from Python-parsed cells (the slow path)."""
    return values if key else _factorize(values)

"""Hostile files: shapes that once cost hours or crashed a worker, scaled to a size in bytes.

`hostile_shapes(size)` gives name -> bytes of one file (meant as `columns.csv`, beside valid
namespaces and data points); the bench runs them at 10 MB, the test suite at a few kilobytes.
"""

import gzip
import random

COLUMNS_HEADER = (
    "column_id,namespace_id,dataset_database_name,dataset_table_name,dataset_column_name,"
    "data_point_id,dataset_owner_name"
)


def columns_valid(rows: int, *, line_end: str = "\n") -> str:
    """A plain `columns` file naming the sample's namespace N1 and data point DP1."""
    body = (f"C{i},N1,fund_master,table_{i % 97},col_{i},DP1,Equity Research" for i in range(rows))
    return line_end.join([COLUMNS_HEADER, *body]) + line_end


def _rows_for(size: int, row_bytes: int = 60) -> int:
    return max(2, size // row_bytes)


def hostile_shapes(size: int) -> dict[str, bytes]:
    """Every shape at about `size` bytes (a few are fixed: a key of 100 KB, a line of twice `size`)."""
    rows = _rows_for(size)
    valid = columns_valid(rows)
    random_bytes = random.Random(0).randbytes(size)
    key = "K" * 100_000
    return {
        "commas-one-line": b"," * size,
        "header-then-commas": (COLUMNS_HEADER + "\n" + "," * size + "\n").encode(),
        "header-then-blank-lines": (COLUMNS_HEADER + "\n" * (size - len(COLUMNS_HEADER))).encode(),
        "rows-of-two-commas": (COLUMNS_HEADER + "\n" + ",,\n" * (size // 3)).encode(),
        "wide-header": ",".join(f"c{i}" for i in range(max(50_000, size // 8))).encode()[: max(size, 400_000)] + b"\n",
        "line-without-break": b"x" * (2 * size),
        "quoted-field-without-end": b'"' + b"x" * (2 * size),
        "huge-field-in-a-row": (COLUMNS_HEADER + "\nC1,N1,db,t,c,DP1," + "o" * (2 * size) + "\n").encode(),
        "keys-of-100kb": (
            COLUMNS_HEADER + "\n" + "".join(f"{key}{i},N1,db,t,c{i},DP1,o\n" for i in range(max(1, size // 100_000)))
        ).encode(),
        "binary": random_bytes,
        "gzip": gzip.compress(valid.encode(), mtime=0),
        "utf-16-with-bom": valid.encode("utf-16"),
        "utf-16-without-bom": valid.encode("utf-16-le"),
        "cr-only-line-ends": columns_valid(rows, line_end="\r").encode(),
        "unclosed-quote": (COLUMNS_HEADER + '\nC1,N1,"fund_master,t,c,DP1,o\n' + valid.split("\n", 1)[1]).encode(),
        "many-cells-per-row": (COLUMNS_HEADER + "\n" + ("C1,N1,db,t,c,DP1,o" + "," * 20_000 + "\n") * 3).encode()[
            : max(size, 200_000)
        ],
        "valid-reference": valid.encode(),
    }

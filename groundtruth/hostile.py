"""Hostile files: shapes that once cost hours or crashed a worker, scaled to a size in bytes.

`hostile_shapes(size)` gives name -> bytes of one file (meant as `columns.csv`, beside valid
namespaces and data points); the bench runs them at 10 MB, the test suite at a few kilobytes.
"""

import gzip
import io
import random
import zipfile

import openpyxl

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
        **workbook_shapes(size),
    }


def _xlsx(rows) -> bytes:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("columns")
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _rezipped(data: bytes, change) -> bytes:
    """The workbook with its sheet's XML passed through `change`."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            part = source.read(info)
            target.writestr(info.filename, change(part) if info.filename.startswith("xl/worksheets/") else part)
    return out.getvalue()


def workbook_shapes(size: int) -> dict[str, bytes]:
    """Workbooks in hostile clothing (issue 17), as the `columns` file."""
    rows = [line.split(",") for line in columns_valid(_rows_for(size, 200)).splitlines()]
    valid = _xlsx(rows)
    # the zip directory says the sheet unpacks to 4 GiB - 1 (a bomb is refused from its directory alone)
    bomb = bytearray(valid)
    at = bomb.rfind(b"xl/worksheets/sheet1.xml") - 46 + 24
    bomb[at : at + 4] = (2**32 - 1).to_bytes(4, "little")
    empty_rows = max(1_000, size // 30)
    styled = b"".join(
        b'<row r="%d"><c r="A%d" s="1"/></row>' % (n, n) for n in range(len(rows) + 1, len(rows) + empty_rows)
    )
    return {
        "xlsx-valid": valid,
        "xlsx-zip-bomb": bytes(bomb),
        "xlsx-damaged": valid[: len(valid) * 2 // 3],
        "xlsx-16384-columns": _xlsx([rows[0] + [f"c{i}" for i in range(16_384 - len(rows[0]))], *rows[1:3]]),
        "xlsx-empty-rows-to-the-bottom": _rezipped(
            valid, lambda xml: xml.replace(b"</sheetData>", styled + b"</sheetData>")
        ),
    }

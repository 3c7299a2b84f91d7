"""Reading a sheet of N rows from an .xlsx against the same rows as CSV: time and peak memory, one
fresh process per reader (issue 17).

    .venv/bin/python bench/xlsx.py [--rows 100000] [--reader NAME ...]

Readers: `csv` (the engine on the CSV file), `xlsx` (the engine on the workbook: zip checks, sheet
scan, python-calamine, cells to text), `calamine` (python-calamine alone, rows as Python lists) and
`openpyxl` (openpyxl's read-only mode, rows as Python tuples). The file is a `columns` file of N rows
(groundtruth/hostile.py's valid rows), written once per size under the system's temp folder. Prints
one JSON line per reader, then the load average: the machine is shared, so read the figures with it.
"""

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from groundtruth.hostile import COLUMNS_HEADER, columns_valid  # noqa: E402

READERS = ("csv", "xlsx", "calamine", "openpyxl")


def files_make(rows: int) -> tuple[Path, Path]:
    folder = Path(tempfile.gettempdir()) / f"bench-xlsx-{rows}"
    folder.mkdir(exist_ok=True)
    csv_path, xlsx_path = folder / "columns.csv", folder / "columns.xlsx"
    if not csv_path.exists():
        csv_path.write_text(columns_valid(rows))
    if not xlsx_path.exists():
        import openpyxl

        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet("columns")
        sheet.append(COLUMNS_HEADER.split(","))
        for line in columns_valid(rows).splitlines()[1:]:
            sheet.append(line.split(","))
        book.save(xlsx_path)
    return csv_path, xlsx_path


def child_run(reader: str, csv_path: Path, xlsx_path: Path) -> None:
    baseline = _peak_mib(os.getpid())
    data = (csv_path if reader == "csv" else xlsx_path).read_bytes()
    started, cpu_started = time.perf_counter(), time.process_time()
    if reader in ("csv", "xlsx"):
        from engine.workbook import upload_read

        state = upload_read(name="columns", data=data)
        assert state.error is None, state.error
        rows = len(state.records)
    elif reader == "calamine":
        import python_calamine

        sheet = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
        rows = sum(1 for _ in sheet.iter_rows()) - 1
    else:
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        rows = sum(1 for _ in book.worksheets[0].iter_rows(values_only=True)) - 1
    print(
        json.dumps(
            {
                "reader": reader,
                "rows": rows,
                "file_mib": round(len(data) / 1_048_576, 1),
                "seconds": round(time.perf_counter() - started, 2),
                "cpu_seconds": round(time.process_time() - cpu_started, 2),
                # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the parent
                "peak_rss_mib": _peak_mib(os.getpid()),
                "rss_before_mib": baseline,
            }
        )
    )


def _peak_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--reader", action="append", choices=READERS)
    parser.add_argument("--child", choices=READERS, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    csv_path, xlsx_path = files_make(arguments.rows)
    if arguments.child:
        child_run(arguments.child, csv_path, xlsx_path)
        return
    for reader in arguments.reader or READERS:
        subprocess.run([sys.executable, __file__, "--rows", str(arguments.rows), "--child", reader], check=True)
    print(json.dumps({"load_average": os.getloadavg()}))


if __name__ == "__main__":
    main()

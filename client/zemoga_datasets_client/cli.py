"""`zemoga-datasets`: upload, wait, verdict, anomalies, triage, fixes and export from a pipeline.

Exit codes: 0 done with no error-severity anomaly, 1 done with error-severity anomalies,
2 failed, 3 usage, connection or permission problem.
"""

import argparse
import csv
import json
import os
import sys
import time
from pathlib import Path

import httpx

from zemoga_datasets_client.api import FILES, ApiError, Client

DONE, DONE_WITH_ERRORS, FAILED, PROBLEM = 0, 1, 2, 3
TABLE_COLUMNS = ("file", "line", "field", "code", "severity", "value", "message")
CSV_COLUMNS = (*TABLE_COLUMNS, "fix", "status", "fingerprint", "key")
GROUP_TABLE_COLUMNS = ("severity", "file", "code", "field", "value", "count", "fixable", "group")
GROUP_CSV_COLUMNS = (
    *("group", "file", "code", "severity", "field", "value", "count", "new", "known", "accepted"),
    *("lines", "fixable", "message", "fix", "accepted_note"),
)
FORMATS = ("table", "csv", "json")


class Parser(argparse.ArgumentParser):
    def error(self, message):  # usage problems exit 3, not argparse's 2 (which means "failed")
        self.print_usage(sys.stderr)
        self.exit(PROBLEM, f"{self.prog}: error: {message}\n")


def _files_arguments(parser: argparse.ArgumentParser) -> None:
    for file in FILES:
        parser.add_argument(f"--{file}", type=Path, metavar="CSV", help=f"the {file} CSV file")
    parser.add_argument("--workbook", type=Path, metavar="XLSX", help="one workbook instead of the CSV files")
    parser.add_argument("--wait", action="store_true", help="wait for the verdict and exit with it")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between two looks at the status")
    parser.add_argument("--timeout", type=float, help="give up waiting after this many seconds (exit 3)")


def _parser() -> Parser:
    parser = Parser(prog="zemoga-datasets", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=os.environ.get("ZEMOGA_URL"), help="the site (or ZEMOGA_URL)")
    parser.add_argument("--token", default=os.environ.get("ZEMOGA_TOKEN"), help="an API token (or ZEMOGA_TOKEN)")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    upload = commands.add_parser("upload", help="a new dataset from the three CSV files or a workbook")
    upload.add_argument("--name", required=True)
    _files_arguments(upload)

    version = commands.add_parser("new-version", help="a new version replacing one to three files")
    version.add_argument("dataset", help="the dataset's id")
    _files_arguments(version)

    status = commands.add_parser("status", help="a version's status; --wait follows it to the end")
    status.add_argument("version", help="the version's id")
    status.add_argument("--wait", action="store_true")
    status.add_argument("--interval", type=float, default=1.0)
    status.add_argument("--timeout", type=float, help="give up waiting after this many seconds (exit 3)")

    anomalies = commands.add_parser("anomalies", help="a version's anomalies")
    anomalies.add_argument("version", help="the version's id")
    anomalies.add_argument("--format", choices=("table", "csv", "json"), default="table")
    anomalies.add_argument("--file", choices=FILES)
    anomalies.add_argument("--code")
    anomalies.add_argument("--severity", choices=("error", "warning", "info"))
    anomalies.add_argument("--status", choices=("new", "known", "accepted"))

    export = commands.add_parser("export", help="the JSON export of a browse selection or a search")
    export.add_argument("dataset", help="the dataset's id")
    export.add_argument("--namespace")
    export.add_argument("--database")
    export.add_argument("--table")
    export.add_argument("--column")
    export.add_argument("--query", help="export the results of this search instead")
    export.add_argument("--output", "-o", type=Path, help="write to this file instead of standard output")

    datasets = commands.add_parser("datasets", help="the datasets you can see")
    datasets.add_argument("--name", help="part of the name")
    _triage_commands(commands)
    return parser


def _filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--file", choices=FILES)
    parser.add_argument("--code")
    parser.add_argument("--severity", choices=("error", "warning", "info"))
    parser.add_argument("--status", choices=("new", "known", "accepted"))


def _triage_commands(commands) -> None:
    groups = commands.add_parser("groups", help="a version's anomalies grouped by file, code, field and value")
    groups.add_argument("version", help="the version's id")
    groups.add_argument("--format", choices=FORMATS, default="table")
    _filters(groups)

    accept = commands.add_parser(
        "accept", help="accept a group (--file, --code, --field, --value) or one anomaly (--anomaly)"
    )
    accept.add_argument("dataset", help="the dataset's id")
    accept.add_argument("--file", choices=FILES, required=True)
    accept.add_argument("--code", required=True)
    accept.add_argument("--field", default="", help="the group's field (none for a row-level code)")
    accept.add_argument("--value", default="", help="the group's value")
    accept.add_argument("--anomaly", metavar="FINGERPRINT", help="accept this one anomaly instead of its group")
    accept.add_argument("--note", default="", help="why it is accepted")
    accept.add_argument("--until", metavar="YYYY-MM-DD", help="the decision lapses after this day")

    undo = commands.add_parser("undo", help="undo an acceptance: what it held needs attention again")
    undo.add_argument("dataset", help="the dataset's id")
    undo.add_argument("fingerprint", help="the acceptance's fingerprint (as `accept` printed it)")

    fix = commands.add_parser("fix", help="apply the fixes of groups: download the files or make a new version")
    fix.add_argument("version", help="the version's id")
    fix.add_argument("--group", action="append", default=[], metavar="FINGERPRINT", help="a group (repeat it)")
    fix.add_argument("--all-fixable", action="store_true", help="every group of the version whose fix is sure")
    into = fix.add_mutually_exclusive_group(required=True)
    into.add_argument("--download", type=Path, metavar="PATH", help="write the CSV (or ZIP) here, or in this folder")
    into.add_argument("--version", dest="make_version", action="store_true", help="make a new version from them")
    fix.add_argument("--wait", action="store_true", help="with --version: wait for its verdict and exit with it")
    fix.add_argument("--interval", type=float, default=1.0)
    fix.add_argument("--timeout", type=float, help="give up waiting after this many seconds (exit 3)")

    rejected = commands.add_parser("rejected", help="the rows of one file an error rejected, as a CSV")
    rejected.add_argument("version", help="the version's id")
    rejected.add_argument("file", choices=FILES)
    rejected.add_argument("--output", "-o", type=Path, help="write to this file instead of standard output")


def verdict(version: dict) -> int:
    if version["status"] == "failed":
        return FAILED
    return DONE_WITH_ERRORS if version.get("severity_counts", {}).get("error", 0) else DONE


def _summary(version: dict) -> str:
    counts = ", ".join(f"{n} {severity}" for severity, n in sorted(version.get("severity_counts", {}).items()))
    line = f"version {version['number']} ({version['id']}): {version['status']}"
    line += f"; anomalies: {counts}" if counts else "; no anomaly"
    return line + (f"\n{version['error']}" if version.get("error") else "")


def _bar(version: dict) -> str:
    width = 30
    filled = round(width * version["percent"] / 100)
    return f"[{'#' * filled}{'.' * (width - filled)}] {version['percent']:3d}% {version['progress']['detail']}"


class WaitTimeout(Exception):
    pass


def wait(client: Client, version_id: str, interval: float, timeout: float | None = None) -> dict:
    """Follows a version to done or failed, drawing a progress bar on standard error."""
    tty = sys.stderr.isatty()
    last = ""
    deadline = time.monotonic() + timeout if timeout is not None else None
    while True:
        version = client.version(version_id)
        bar = _bar(version)
        if tty:
            sys.stderr.write("\r" + bar[:120].ljust(120))
        elif bar != last:
            sys.stderr.write(bar + "\n")
        sys.stderr.flush()
        last = bar
        if version["final"]:
            if tty:
                sys.stderr.write("\n")
            return version
        if deadline is not None and time.monotonic() >= deadline:
            raise WaitTimeout(f"version {version_id} is not finished after {timeout:g} s (still {version['status']})")
        time.sleep(interval)


def _files(args) -> dict[str, Path | None]:
    paths = {file: getattr(args, file) for file in FILES}
    paths["workbook"] = args.workbook
    for path in paths.values():
        if path is not None and not path.is_file():
            raise FileNotFoundError(f"no such file: {path}")
    return paths


def _created(client: Client, version: dict, args) -> int:
    print(f"dataset {version['dataset_id']}, version {version['number']} ({version['id']}): {version['status']}")
    if not args.wait:
        return DONE
    version = wait(client, version["id"], args.interval, args.timeout)
    print(_summary(version))
    return verdict(version)


def _anomalies(client: Client, args) -> int:
    rows = client.anomalies(args.version, file=args.file, code=args.code, severity=args.severity, status=args.status)
    if args.format == "json":
        json.dump(list(rows), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    elif args.format == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    else:
        _table(list(rows), TABLE_COLUMNS)
    return DONE


def _table(rows: list[dict], columns: tuple[str, ...]) -> None:
    widths = {c: min(40, max([len(c), *(len(str(r.get(c) or "")) for r in rows)])) for c in columns}
    print("  ".join(c.ljust(widths[c]) for c in columns))
    for row in rows:
        print("  ".join(str(row.get(c) or "")[: widths[c]].ljust(widths[c]) for c in columns))


def _groups(client: Client, args) -> int:
    filters = {name: getattr(args, name) for name in ("file", "code", "severity", "status")}
    groups = client.anomaly_groups(args.version, **filters)
    if args.format == "json":
        json.dump(list(groups), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return DONE
    rows = [
        {
            **group,
            **group["statuses"],
            "lines": " ".join(str(line) for line in group["lines"]),
            "fixable": "yes" if group["fixable"] else "no",
            "accepted_note": (group.get("acceptance") or {}).get("note", ""),
        }
        for group in groups
    ]
    if args.format == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=GROUP_CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    else:
        _table(rows, GROUP_TABLE_COLUMNS)
    return DONE


def _accept(client: Client, args) -> int:
    chosen = {"file": args.file, "code": args.code, "note": args.note, "until": args.until}
    if args.anomaly:
        chosen.update(scope="anomaly", fingerprint=args.anomaly)
    else:
        chosen.update(scope="group", field=args.field, value=args.value)
    acceptance = client.acceptance_create(args.dataset, **chosen)
    until = f" until {acceptance['until']}" if acceptance.get("until") else ""
    print(f"accepted {acceptance['scope']} {acceptance['fingerprint']}{until}")
    return DONE


def _fix(client: Client, args) -> int:
    groups = list(args.group)
    if args.all_fixable:
        groups += [group["group"] for group in client.anomaly_groups(args.version) if group["fixable"]]
    if not groups:
        raise UsageError("give --group (one or more) or --all-fixable; no group to fix")
    if args.make_version:
        return _created(client, client.version_from_fixes(args.version, groups), args)
    name, content = client.fixes_download(args.version, groups)
    path = args.download / (name or "fixed") if args.download.is_dir() else args.download
    path.write_bytes(content)
    print(f"{path}: {'a ZIP of the corrected files' if content[:2] == b'PK' else 'the corrected file'}")
    return DONE


def _rejected(client: Client, args) -> int:
    if args.output is None:
        client.rejected(args.version, args.file, sys.stdout.buffer)
        sys.stdout.flush()
        return DONE
    with args.output.open("wb") as out:
        client.rejected(args.version, args.file, out)
    return DONE


TRIAGE = {"groups": _groups, "accept": _accept, "fix": _fix, "rejected": _rejected}


def run(args, client: Client) -> int:
    if args.command == "upload":
        files = _files(args)
        if files["workbook"] is None and not all(files[file] for file in FILES):
            raise UsageError("give --namespaces, --datapoints and --columns, or --workbook")
        return _created(client, client.dataset_create(name=args.name, files=files), args)
    if args.command == "new-version":
        files = _files(args)
        if not any(files.values()):
            raise UsageError("give at least one file to replace")
        return _created(client, client.version_create(dataset_id=args.dataset, files=files), args)
    if args.command == "status":
        version = wait(client, args.version, args.interval, args.timeout) if args.wait else client.version(args.version)
        print(_summary(version))
        return verdict(version) if version["final"] else DONE
    if args.command == "anomalies":
        return _anomalies(client, args)
    if args.command in TRIAGE:
        return TRIAGE[args.command](client, args)
    if args.command == "undo":
        client.acceptance_delete(args.dataset, args.fingerprint)
        print(f"undone {args.fingerprint}")
        return DONE
    if args.command == "export":
        selection = {p: getattr(args, p) for p in ("namespace", "database", "table", "column")}
        document = client.export(args.dataset, q=args.query, **selection)
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        if args.output:
            args.output.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        return DONE
    for dataset in client.datasets(name=args.name):
        latest = dataset.get("latest_version") or {}
        print(f"{dataset['id']}  {dataset['name']}  v{latest.get('number', '-')} {latest.get('status', '')}")
    return DONE


class UsageError(Exception):
    pass


def main(argv: list[str] | None = None, **client_options) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not args.url or not args.token:
        parser.error("give --url and --token (or ZEMOGA_URL and ZEMOGA_TOKEN)")
    client = Client(args.url, args.token, **client_options)
    try:
        return run(args, client)
    except (UsageError, FileNotFoundError, WaitTimeout) as exc:
        print(f"zemoga-datasets: {exc}", file=sys.stderr)
        return PROBLEM
    except ApiError as exc:
        print(f"zemoga-datasets: the server answered {exc.status}: {exc.detail}", file=sys.stderr)
        return PROBLEM
    except httpx.HTTPError as exc:
        print(f"zemoga-datasets: cannot reach {args.url}: {exc}", file=sys.stderr)
        return PROBLEM
    except KeyboardInterrupt:
        return PROBLEM
    finally:
        client.close()


if __name__ == "__main__":
    sys.exit(main())

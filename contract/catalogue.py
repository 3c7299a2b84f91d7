"""The anomaly catalogue: for every code of the spec its severity, its messages, how to fix it and
an example. Every message and fix a report, a page or the API shows is rendered from here
(`anomaly_render`), from the values the engine keeps with each anomaly; the help page lists it."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Code(StrEnum):
    # Declared in the spec's table order, which is also the order checks run in.
    FILE_EMPTY = "file-empty"
    FILE_NOT_CSV = "file-not-csv"
    FILE_ENCODING = "file-encoding"
    LIMIT_EXCEEDED = "limit-exceeded"
    HEADER_MISSING_COLUMN = "header-missing-column"
    HEADER_UNKNOWN_COLUMN = "header-unknown-column"
    HEADER_DUPLICATE_COLUMN = "header-duplicate-column"
    BLANK_ROW = "blank-row"
    MISSING_CELL = "missing-cell"
    EXTRA_CELL = "extra-cell"
    FIELD_TOO_LARGE = "field-too-large"
    WHITESPACE = "whitespace"
    REQUIRED_BLANK = "required-blank"
    INVALID_VALUE = "invalid-value"
    DUPLICATE_ROW = "duplicate-row"
    DUPLICATE_KEY = "duplicate-key"
    UNKNOWN_REFERENCE = "unknown-reference"
    UNUSED_RECORD = "unused-record"
    NEAR_DUPLICATE = "near-duplicate"


@dataclass(frozen=True)
class Entry:
    """One code. A variant names one message template (`messages`), and the fix template of the
    same name (`fixes`) when the engine knows a specific fix for it; any variant without one gets
    the general `fix`. Templates read the anomaly's `file`, `field` and `value` and its params."""

    code: Code
    severity: Severity
    when: str  # what the check finds, in one line
    effect: str  # what happens to the record or the dataset
    messages: dict[str, str]  # variant -> template; "default" always present
    fix: str  # plain "how to fix", whatever the variant
    example: str  # an example of an input that gets this anomaly
    fixes: dict[str, str] = field(default_factory=dict)  # variant -> a specific fix template


_E, _W, _I = Severity.ERROR, Severity.WARNING, Severity.INFO

ENTRIES = (
    Entry(
        Code.FILE_EMPTY,
        _E,
        "The file has no header line (it is empty or holds blank lines only).",
        "The whole dataset fails; nothing is saved.",
        {
            "default": "has no header line",
            "no-sheet": 'the workbook has no sheet named "{wanted}" (its sheets: {sheets})',
        },
        "Export the sheet again with its first line holding the column names; check that the right file was chosen.",
        "a 0-byte namespaces.csv",
    ),
    Entry(
        Code.FILE_NOT_CSV,
        _E,
        "The file is binary or cannot be read as CSV.",
        "The whole dataset fails; nothing is saved.",
        {
            "default": "not a CSV file",
            "nul": "holds NUL bytes: not a CSV file",
            "open-quote": "a quote is left open at the end of the file",
            "utf16-no-mark": "looks like UTF-16 text without its byte-order mark: save it again as "
            "“CSV UTF-8” (or as “Unicode Text”, which writes the mark)",
            "utf16-damaged": "starts with a UTF-16 byte-order mark but does not decode as UTF-16: save it again "
            "as “CSV UTF-8”",
            "xls": "is an old Excel workbook (.xls), which is not read: save it as .xlsx or as “CSV UTF-8”",
            "ods": "is an OpenDocument spreadsheet (.ods), which is not read: save it as .xlsx or as CSV",
            "zip": "is a zip archive, not a CSV file or an .xlsx workbook: unpack it and upload the CSV files",
            "image": "is an image ({kind}), not a CSV file: choose the exported CSV file",
            "pdf": "is a PDF document, not a CSV file: export the table itself as CSV or .xlsx",
            "workbook-damaged": "is an .xlsx workbook that cannot be opened (damaged or cut short; {detail}): "
            "open it in Excel and save it again",
            "workbook-encrypted": "is a password-protected workbook, which cannot be read: save a copy without "
            "the password",
            "workbook-too-large": "is an .xlsx workbook that unpacks to {size:,} bytes, more than the {limit:,} "
            "bytes read: save the sheets as CSV, or remove what is not needed",
            "sheet-too-large": 'sheet "{sheet}" spans {rows:,} rows by {columns:,} columns, more than the '
            "{limit:,} cells read: delete the unused rows and columns (select them, Delete) and save again",
            "unreadable": "could not be read as CSV ({error})",
        },
        "Save the sheet as CSV UTF-8 or as an .xlsx workbook (not .xls, .ods or .numbers). A quote left open "
        'usually means a cell starts with " but never closes it: close it, or double every quote inside a '
        'quoted cell ("").',
        'an Excel workbook renamed to .csv; or a last line `C9,N1,"fund_master`',
    ),
    Entry(
        Code.FILE_ENCODING,
        _W,
        "The file is not UTF-8; it is read as Windows-1252 (cp1252).",
        "The records are kept; accented letters may be wrong if the file used another encoding.",
        {
            "default": "not UTF-8; read as cp1252",
            "line": "not UTF-8 (the first undecodable byte is on line {line}); read as cp1252",
        },
        "Save the file as UTF-8: in Excel choose File › Save As › “CSV UTF-8 (Comma delimited)”; in "
        "LibreOffice tick “Edit filter settings” and choose “Unicode (UTF-8)”; in a text editor choose the "
        "UTF-8 encoding when saving.",
        "`N3,Zürich` saved by Excel as “CSV (Comma delimited)” on Windows",
    ),
    Entry(
        Code.LIMIT_EXCEEDED,
        _W,
        "The file passed one of the processing limits (header columns, cells per line, header size, or "
        "anomalies listed per code); what lies beyond it was not read or not listed.",
        "The report is partial for that file (summary.json says what was not listed); the records read are "
        "checked as usual.",
        {
            "default": "a processing limit was reached",
            "header-columns": "the header has {width:,} columns; only the first {limit:,} were read, the others "
            "are ignored (at most {limit:,} header columns)",
            "header-bytes": "the header line holds {size:,} bytes; only its first {read:,} were read",
            "line-cells": "{records:,} records have more than {limit:,} cells; the cells after the first {limit:,} "
            "were not read (they are extra cells, dropped anyway; at most {limit:,} cells per line)",
            "not-listed": "{omitted_code}: {count:,} more anomalies found but not listed (at most {limit:,} per file "
            "and code)",
        },
        "Check that the right file was chosen and that its delimiter is one of , ; tab |. A file that really "
        "needs more columns or cells per line than the limits allow is not a catalog file; the limits are "
        "settings (see the README's configuration table).",
        "a header line of 10 MB of commas",
    ),
    Entry(
        Code.HEADER_MISSING_COLUMN,
        _E,
        "A required field has no column in the header.",
        "The whole dataset fails; nothing is saved.",
        {
            "default": 'required field "{field}" has no column',
            "closest": 'required field "{field}" has no column; did you mean "{closest}" (header column {position})?',
            "swapped": 'required field "{field}" has no column; this header looks like the {other} file: '
            "were the files swapped?",
        },
        "Add the column (the header names are listed in the format document), or rename the misspelt one. "
        "If the header belongs to another of the three files, choose the files again in the right fields.",
        "namespaces.csv with the header `namespace_idd,namespace_option_name`",
        fixes={
            "default": 'add a column "{field}" to the header',
            "closest": 'rename header column {position} "{closest}" to "{field}"',
            "swapped": "choose each file again in its own field: this one looks like the {other} file",
        },
    ),
    Entry(
        Code.HEADER_UNKNOWN_COLUMN,
        _W,
        "A header column names no field of this file.",
        "The column is ignored; the records are kept.",
        {
            "default": 'column "{field}" is no field of {file}; ignored',
            "closest": 'column "{field}" is no field of {file}; ignored. Did you mean "{closest}"?',
        },
        "Rename the column to the field it holds, or remove it if it is not needed.",
        "a `comment` column in columns.csv",
        fixes={"closest": 'rename column "{field}" to "{closest}", or remove it if it is not needed'},
    ),
    Entry(
        Code.HEADER_DUPLICATE_COLUMN,
        _W,
        "A field is named twice in the header.",
        "The later column is ignored.",
        {"default": 'field "{field}" named twice; this column ignored'},
        "Remove one of the two columns, or rename it to the field it really holds.",
        "`data_point_id,data_point_name,Data_Point_Name`",
        fixes={"default": 'remove one of the two "{field}" columns, or rename it to the field it really holds'},
    ),
    Entry(
        Code.BLANK_ROW,
        _I,
        "An empty line (or whitespace only).",
        "The line is skipped; nothing else is reported for it.",
        {"default": "blank line; skipped"},
        "Nothing to do; delete the empty line to silence the note.",
        "an empty line between two records",
    ),
    Entry(
        Code.MISSING_CELL,
        _W,
        "A record has fewer cells than the header has columns.",
        "The missing cells are blank; the record may then be rejected for a blank required field.",
        {"default": "{cells} cells for {width} header columns; the missing ones are blank"},
        "Add the missing delimiters so that every record has as many cells as the header; a value that "
        "holds the delimiter must be quoted.",
        "`N1,Fund Performance` under a three-column header",
    ),
    Entry(
        Code.EXTRA_CELL,
        _W,
        "A record has more cells than the header has columns.",
        "The extra cells are dropped; the record is kept.",
        {"default": "{cells} cells for {width} header columns; the extra ones dropped"},
        'Quote values that hold the delimiter (`"Smith, J."`), or remove the stray delimiter.',
        "`C9,N2,fund_master,holdings,weight,DP2,Equity Research,extra`",
    ),
    Entry(
        Code.FIELD_TOO_LARGE,
        _E,
        "A value is longer than the field size limit.",
        "The record is rejected.",
        {"default": "{length:,} characters; the limit is {limit:,}; record rejected"},
        "Shorten the value; a value this long is usually a missing closing quote that swallowed the lines "
        "after it, or a whole document pasted into a cell.",
        'a definition cell opened with " and never closed, running to the end of the file',
    ),
    Entry(
        Code.WHITESPACE,
        _I,
        "A value starts or ends with spaces or tabs.",
        "The value is trimmed and stored; one note per record and field.",
        {"default": "surrounding whitespace trimmed"},
        "Nothing to do; trim the cell in the source to silence the note.",
        "`C7,N1,fund_master,returns, tr_3y ,DP1`",
    ),
    Entry(
        Code.REQUIRED_BLANK,
        _E,
        "A required field is blank.",
        "The record is rejected.",
        {"default": "required field {field} is blank; record rejected"},
        "Fill the cell; if the record is not needed, delete the line.",
        "`N4,,ORPHAN` (no namespace_option_name)",
        fixes={"default": "fill {field}; if the record is not needed, delete the line"},
    ),
    Entry(
        Code.INVALID_VALUE,
        _W,
        "A vocabulary field (data_type, is_derived) holds a word outside its vocabulary.",
        "The record is kept and the value stored as given.",
        {
            "default": "not in the {field} vocabulary (allowed: {allowed}); stored as given",
            "closest": 'not in the {field} vocabulary; did you mean "{closest}"? (allowed: {allowed}); stored as given',
        },
        "Replace the value by one of the allowed words (case does not matter); the allowed words are "
        "listed in the message and in the format document.",
        "`data_type` = `strnig`; `is_derived` = `maybe`",
        fixes={"default": "use one of: {allowed}", "closest": 'replace "{value}" with "{closest}"'},
    ),
    Entry(
        Code.DUPLICATE_ROW,
        _W,
        "The same values as an earlier record of the file, after trimming.",
        "The copy is dropped; the first record is kept.",
        {"default": "same values as line {line}; dropped"},
        "Delete the repeated line.",
        "`N2,Portfolio Holdings,PORTFOLIO_HOLDINGS` twice",
        fixes={"default": "delete this line: it repeats line {line}"},
    ),
    Entry(
        Code.DUPLICATE_KEY,
        _E,
        "The same key as an earlier kept record, with other values.",
        "This record is rejected; the earlier one is kept.",
        {"default": "key already used on line {line} with other values; record rejected"},
        "Give this record its own key, or merge the two records into one.",
        "`DP2,Net Asset Value` and later `DP2,NAV per share`",
        fixes={"default": "give this record its own {field}, or merge it with the record on line {line}"},
    ),
    Entry(
        Code.UNKNOWN_REFERENCE,
        _E,
        "A columns record names a namespace or data point that is not saved.",
        "The record is rejected.",
        {
            "default": "names no persisted record of {target}; record rejected",
            "rejected": '"{value}" is on {target} line {line} but that record was rejected ({rejected_code}); '
            "record rejected",
        },
        "Add the namespace or data point to its file, or fix the one that was rejected (see its line), or "
        "correct the reference.",
        "`C6,N9,…` where no namespace N9 exists",
        fixes={
            "default": "add {target_record} {value} to {target}, or correct this reference",
            "rejected": "fix {target} line {line} ({rejected_code}), or correct this reference",
        },
    ),
    Entry(
        Code.UNUSED_RECORD,
        _I,
        "A saved namespace or data point that no saved column names.",
        "The record is kept.",
        {"default": "no persisted column names it"},
        "Nothing to do if the record is new; otherwise map a column to it or remove it.",
        "data point DP5 that no line of columns.csv names",
    ),
    Entry(
        Code.NEAR_DUPLICATE,
        _I,
        "A database or owner name that is a rarer variant of a more frequent one (case, spaces, _ - . or "
        "one typing error).",
        "The record is kept with the value as given.",
        {"default": '"{value}" looks like a variant of "{frequent}" (used by {count} records)'},
        "If both names mean the same, use the frequent spelling everywhere.",
        "`rixk_warehouse` in 3 records beside `risk_warehouse` in 900",
        fixes={"default": 'replace "{value}" with "{frequent}"'},
    ),
)

CATALOGUE: dict[Code, Entry] = {entry.code: entry for entry in ENTRIES}
SEVERITY: dict[Code, Severity] = {entry.code: entry.severity for entry in ENTRIES}
# Errors at file level reject the whole dataset.
FILE_LEVEL_ERRORS = frozenset({Code.FILE_EMPTY, Code.FILE_NOT_CSV, Code.HEADER_MISSING_COLUMN})
# What a reference names, for the fix of an unknown reference ("add namespace N9 to namespaces").
RECORD_NAMES = {"namespaces": "namespace", "datapoints": "data point", "columns": "column row"}


class Rendered(NamedTuple):
    message: str
    fix: str


def message(code: Code, variant: str = "default", /, **values) -> str:
    """The message of one variant from the values given (the file-level error text, tests)."""
    return anomaly_render({"code": code, "variant": variant, "params": values}).message


def anomaly_render(anomaly: Mapping) -> Rendered:
    """The message and fix of one anomaly: a row of the engine's frame, a stored document, a page
    item, as a mapping with `code`, `variant`, `params` and (optional) `file`, `field`, `value`.

    A document stored before anomalies kept their values (no `params`) shows its stored message
    and the code's general fix. A template whose values are missing or of the wrong type falls
    back to the code's description: a page never fails on an old or odd document."""
    entry = CATALOGUE.get(_code(anomaly.get("code")))
    if entry is None:
        return Rendered(str(anomaly.get("message") or ""), "")
    params = anomaly.get("params")
    if not isinstance(params, Mapping):
        return Rendered(str(anomaly.get("message") or entry.when), entry.fix)
    variant = anomaly.get("variant") or "default"
    values = {name: anomaly.get(name) or "" for name in ("file", "field", "value")}
    values.update(params)
    if "target" in params:
        values["target_record"] = RECORD_NAMES.get(params["target"], params["target"])
    text = _filled(entry.messages.get(variant, entry.messages["default"]), values, entry.when)
    fix = _filled(entry.fixes[variant], values, entry.fix) if variant in entry.fixes else entry.fix
    return Rendered(text, fix)


def _code(code) -> Code | None:
    try:
        return Code(code)
    except ValueError:
        return None


def _filled(template: str, values: dict, fallback: str) -> str:
    try:
        return template.format_map(values)
    except (KeyError, ValueError, TypeError, IndexError):
        return fallback

"""The spec's "Reading a file" rules for files saved from Excel: UTF-16 with its byte-order mark, the
`sep=` line and its line numbering, and `file-not-csv` messages that name what a file is."""

import gzip
import io
import zipfile

import pytest

from engine.read import file_read
from tests.engine.helpers import anomaly_tuples, file_checked

UNICODE_TEXT = "namespace_id\tnamespace_option_name\r\nN1\tZürich Fund\r\nN2\t東京\r\n"


@pytest.mark.parametrize(
    ("encoded", "encoding"),
    [
        (b"\xff\xfe" + UNICODE_TEXT.encode("utf-16-le"), "UTF-16 LE with byte-order mark"),
        (b"\xfe\xff" + UNICODE_TEXT.encode("utf-16-be"), "UTF-16 BE with byte-order mark"),
    ],
    ids=["little-endian", "big-endian"],
)
def test_utf16_with_a_byte_order_mark_is_decoded_without_anomaly(encoded, encoding):
    # given Excel's "Unicode Text": UTF-16 with its mark, tab-separated, CRLF
    state = file_checked("namespaces", encoded)
    # then it reads as the same text in UTF-8 would, with no anomaly, and says how it was written
    assert state.error is None
    assert anomaly_tuples(state.anomalies) == []
    assert state.values([0, 1], "namespace_option_name").tolist() == ["Zürich Fund", "東京"]
    assert state.lines([0, 1]).tolist() == [2, 3]
    assert state.dialect == {"encoding": encoding, "line_ends": "CRLF", "delimiter": "tab"}


def test_utf16_that_does_not_decode_is_file_not_csv():
    state = file_read(name="namespaces", data=b"\xff\xfe" + "namespace_id\n".encode("utf-16-le") + b"\x00\xd8")
    assert anomaly_tuples(state.anomalies) == [("namespaces", None, "", "file-not-csv")]
    assert "UTF-16" in state.error


@pytest.mark.parametrize(("first_line", "delimiter"), [("sep=;", ";"), ('"sep=;"', ";"), ("sep=\t", "\t")])
def test_sep_line_names_the_delimiter_and_is_skipped_without_anomaly(first_line, delimiter):
    # given a first line `sep=X` (the header itself would tell another delimiter: commas inside values)
    text = f"{first_line}\nnamespace_id{delimiter}namespace_option_name\nN1{delimiter}Fund, Equity\n"
    state = file_checked("namespaces", text)
    # then X is the delimiter and the line is no record, no header and no anomaly
    assert state.error is None
    assert anomaly_tuples(state.anomalies) == []
    assert state.values([0], "namespace_option_name").tolist() == ["Fund, Equity"]
    assert state.dialect["delimiter"].endswith("(from the sep= line)")


def test_sep_line_counts_in_line_numbers():
    # given a sep= line, a header (line 2) with an unknown column, a blank line and two records
    text = "sep=,\r\nnamespace_id,namespace_option_name,colour\r\nN1,Fund,red\r\n\r\nN1,Fund,red\r\n"
    state = file_checked("namespaces", text)
    # then the header's anomalies are on line 2 and records keep their physical lines
    assert anomaly_tuples(state.anomalies, by_line=True) == [
        ("namespaces", 2, "colour", "header-unknown-column"),
        ("namespaces", 4, "", "blank-row"),
        ("namespaces", 5, "", "duplicate-row"),
    ]
    assert state.lines([0, 2]).tolist() == [3, 5]


def test_a_missing_column_after_a_sep_line_is_on_line_2():
    state = file_read(name="namespaces", data=b"sep=;\nnamespace_id;name\nN1;x\n")
    assert ("namespaces", 2, "namespace_option_name", "header-missing-column") in anomaly_tuples(state.anomalies)


def test_a_sep_line_alone_is_file_empty():
    state = file_read(name="namespaces", data=b"sep=;\r\n\r\n")
    assert anomaly_tuples(state.anomalies) == [("namespaces", None, "", "file-empty")]


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ("namespace_id,namespace_option_name\nN1,x\n".encode("utf-16-le"), "UTF-16 text without its byte-order mark"),
        ("namespace_id,namespace_option_name\nN1,x\n".encode("utf-16-be"), "UTF-16 text without its byte-order mark"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500, "old Excel workbook (.xls)"),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 50 + "EncryptedPackage".encode("utf-16-le"),
            "password-protected workbook",
        ),
        (_zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}), "OpenDocument spreadsheet (.ods)"),
        (_zip({"namespaces.csv": b"namespace_id\n"}), "zip archive"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image (PNG)"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "image (JPEG)"),
        (b"GIF89a\x01\x00\x01\x00\x00\x00", "image (GIF)"),
        (b"%PDF-1.7\n%\x00\x00binary", "PDF document"),
        (gzip.compress(b"namespace_id\n", mtime=0), "holds NUL bytes"),
    ],
    ids=[
        "utf16-le-no-mark",
        "utf16-be-no-mark",
        "xls",
        "encrypted",
        "ods",
        "zip",
        "png",
        "jpeg",
        "gif",
        "pdf",
        "other",
    ],
)
def test_file_not_csv_names_what_the_file_is(data, named):
    state = file_read(name="namespaces", data=data)
    assert anomaly_tuples(state.anomalies) == [("namespaces", None, "", "file-not-csv")]
    assert named in state.error

"""A corrected copy of an upload (`reports.fixes`): only the edited records change, byte for byte."""

from reports.fixes import TRIM, RecordEdit, fixes_apply

UPLOAD = (
    b"\xef\xbb\xbfid;name;owner\r\n"
    b"A1; padded ;Equity Research\r\n"
    b'A2;"two\r\nlines";equity-research\r\n'
    b"A3;plain;Equity Research\r\n"
    b"A3;plain;Equity Research\r\n"
    b"A4;last;x"
)


def test_only_the_edited_records_change_and_the_rest_is_copied_as_uploaded():
    fixed = fixes_apply(
        UPLOAD,
        {
            2: RecordEdit(cells={"name": TRIM}),
            3: RecordEdit(cells={"owner": "Equity Research"}),
            5: RecordEdit(drop=True),
            7: RecordEdit(cells={"Owner": "y;z"}),  # the header's case does not matter; a delimiter is quoted
            99: RecordEdit(drop=True),  # past the end: ignored
        },
    )
    assert fixed == (
        b"\xef\xbb\xbfid;name;owner\r\n"
        b"A1;padded;Equity Research\r\n"
        b'A2;"two\r\nlines";Equity Research\r\n'
        b"A3;plain;Equity Research\r\n"
        b'A4;last;"y;z"'
    )


def test_a_cp1252_upload_stays_cp1252_and_the_header_is_never_edited():
    upload = "id,name\nB1,Développement \n".encode("cp1252")
    fixed = fixes_apply(upload, {1: RecordEdit(drop=True), 2: RecordEdit(cells={"name": TRIM})})
    assert fixed == "id,name\nB1,Développement\n".encode("cp1252")
    assert fixes_apply(upload, {}) is upload

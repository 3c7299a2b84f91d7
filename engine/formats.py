"""What a file that is no CSV looks like, from its first bytes: the `file-not-csv` variant that names it."""

import io
import zipfile

ZIP_MAGIC = b"PK\x03\x04"
# Bytes of each parity below which a head is too short to tell UTF-16 without a mark.
_UTF16_GUESS_MIN = 8
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls (and .doc, and encrypted .xlsx)
_ODS_MIMETYPE = b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet"
_IMAGES = {b"\x89PNG\r\n\x1a\n": "PNG", b"\xff\xd8\xff": "JPEG", b"GIF87a": "GIF", b"GIF89a": "GIF"}


def is_workbook(data: bytes) -> bool:
    """An Office Open XML workbook (.xlsx), whatever its name: a zip holding `xl/workbook.xml`."""
    if not data.startswith(ZIP_MAGIC):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return any(info.filename == "xl/workbook.xml" for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        # a zip cut short keeps its local headers: the workbook's part names are still there to see
        return b"xl/" in data[: 1 << 20]


def not_csv_kind(data: bytes) -> tuple[str, dict]:
    """The `file-not-csv` variant and params of a file with NUL bytes: what it is when that can be
    told, else the general one."""
    head = bytes(data[:128])
    if head.startswith(_OLE2_MAGIC):  # a password-protected .xlsx is such a container too
        encrypted = "EncryptedPackage".encode("utf-16-le") in data[: 1 << 20]
        return ("workbook-encrypted" if encrypted else "xls"), {}
    if head.startswith(ZIP_MAGIC):
        return ("ods" if head[30:].startswith(_ODS_MIMETYPE) else "zip"), {}
    for magic, kind in _IMAGES.items():
        if head.startswith(magic):
            return "image", {"kind": kind}
    if head.startswith(b"%PDF-"):
        return "pdf", {}
    if _utf16_without_mark(bytes(data[:4096])):
        return "utf16-no-mark", {}
    return "nul", {}


def _utf16_without_mark(head: bytes) -> bool:
    """Mostly ASCII text in UTF-16: a NUL in nearly every other byte, on one side only."""
    even, odd = head[0::2], head[1::2]
    if len(odd) < _UTF16_GUESS_MIN:
        return False
    for zeros, other in ((odd, even), (even, odd)):
        if zeros.count(0) >= 0.9 * len(zeros) and other.count(0) <= 0.1 * len(other):
            return True
    return False

"""The CSV dialect the spec accepts, as bytes become text: UTF-8 (else cp1252) with or without a
byte-order mark, Excel's UTF-16 with its mark, the four delimiters and Excel's `sep=X` hint line.
The engine reads uploads with it; the source-line view and the downloads read lines back with it."""

import re

BOM = b"\xef\xbb\xbf"
# Excel's "Unicode Text": UTF-16 with its byte-order mark, either byte order.
UTF16_BOMS = {
    b"\xff\xfe": ("utf-16-le", "UTF-16 LE with byte-order mark"),
    b"\xfe\xff": ("utf-16-be", "UTF-16 BE with byte-order mark"),
}
# Excel's delimiter hint: a first line `sep=X`, possibly quoted.
_SEP_LINE = re.compile(r'\A"?sep=([^"\r\n])"?\Z')
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


def sep_line(first_line: str) -> str | None:
    """The delimiter an Excel `sep=X` line names, or None when the line is no such hint."""
    found = _SEP_LINE.match(first_line)
    return found.group(1) if found else None


def delimiter_detect(header: str) -> str:
    outside = "".join(part for i, part in enumerate(header.split('"')) if i % 2 == 0)
    counts = {d: outside.count(d) for d in DELIMITERS}
    return max(DELIMITERS, key=lambda d: counts[d]) if any(counts.values()) else ","


def text_decode(data: bytes, encoding: str = "") -> str:
    """UTF-8 when it is, else cp1252 as the reader does; a BOM is dropped. A UTF-8 character cut at
    the end of `data` (a line read in part) is left out."""
    if encoding:  # UTF-16: a code unit cut at the end of a line read in part is left out
        text = data[: len(data) // 2 * 2].decode(encoding, errors="replace")
        return text[1:] if text.startswith("\ufeff") else text
    data = data[len(BOM) :] if data.startswith(BOM) else data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start >= len(data) - 3 and error.reason == "unexpected end of data":
            return data[: error.start].decode("utf-8")
        return data.decode("cp1252", errors="replace")

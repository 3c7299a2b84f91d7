"""The template workbook the upload form offers beside the CSV templates: one sheet per file, its
header row only, written by openpyxl the same way every time (fixed dates, fixed zip timestamps)."""

import datetime
import io
import re
import zipfile
from functools import lru_cache

import openpyxl

from contract import FILES, SCHEMAS

_FIXED = datetime.datetime(2024, 1, 1)


@lru_cache(maxsize=1)
def workbook_template() -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for file in FILES:
        sheet = book.create_sheet(file)
        sheet.append(list(SCHEMAS[file].fields))
        sheet.freeze_panes = "A2"
    book.properties.created = book.properties.modified = _FIXED
    book.properties.creator = "zemoga_datasets"
    written = io.BytesIO()
    book.save(written)
    # openpyxl stamps each zip entry with the time of writing: the same bytes every time instead
    out = io.BytesIO()
    with zipfile.ZipFile(written) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            part = source.read(info)
            if info.filename == "docProps/core.xml":  # openpyxl writes "now" as the modified date
                part = _fixed_dates(part)
            target.writestr(zipfile.ZipInfo(info.filename, date_time=_FIXED.timetuple()[:6]), part)
    return out.getvalue()


def _fixed_dates(core: bytes) -> bytes:
    return re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>2024-01-01T00:00:00Z", core)

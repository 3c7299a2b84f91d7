"""The source-line view stays bounded whatever a line holds: a window of cells, the full length stated,
the raw line offered as a streamed download; and its paging reaches every line."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile

from groundtruth.hostile import COLUMNS_HEADER
from reports import source
from uploads.models import Dataset
from uploads.processing import version_process
from uploads.services import dataset_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mongo")]

COMMAS = 10_500_000  # the shape of issue 15: 341 s, 681 MB of HTML and 13.4 GB before the bound


@pytest.fixture
def steward(client):
    user = get_user_model().objects.create_user(username="steward", password="pw-for-tests-only")
    client.force_login(user)
    return user


def _processed(sample_files: dict[str, bytes], **files: bytes) -> Dataset:
    uploads = {name: ContentFile(data, name=f"{name}.csv") for name, data in {**sample_files, **files}.items()}
    version = dataset_create(name="Lines", owner=None, files=uploads, enqueue=False)
    version_process(version_id=str(version.pk))
    return Dataset.objects.get(pk=version.dataset_id)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def test_a_line_of_ten_million_commas_answers_a_small_page_with_its_length_and_a_download(
    client, steward, sample_files, monkeypatch
):
    # given a columns file of a header and one line of 10.5 MB of commas, processed
    dataset = _processed(sample_files, columns=f"{COLUMNS_HEADER}\n".encode() + b"," * COMMAS + b"\n")
    reads = []
    real = source.storage_read_range
    monkeypatch.setattr("reports.source.storage_read_range", lambda **kw: reads.append(kw) or real(**kw))

    # when its anomaly's line view is asked for
    response = client.get(f"/datasets/{dataset.pk}/files/columns/lines/", {"line": 2, "code": "extra-cell"})

    # then the page is small, says how long the line is, and shows the cells around the first extra one
    assert response.status_code == 200
    html = response.content.decode()
    assert len(response.content) < 100_000
    text = _text(html)
    assert "cells 8–10,500,001 (past the 7 header columns)" in text
    assert "10,500,001 cells" in text
    assert "10,500,000 characters" in text
    assert "Shown here: cells 1–21" in text
    assert '<sup class="pos">8</sup><mark class="blank">(blank)</mark>' in html
    assert '<sup class="pos">22</sup>' not in html
    assert "… the line goes on: 10,500,000 characters, 10,500,001 cells in all" in text
    # and the upload is read in bounded blocks: a little for the page, the rest counted block by block
    assert max(r["end"] - r["start"] for r in reads) <= 1024 * 1024
    raw_url = re.search(r'href="([^"]*/lines/raw/\?line=2)"', html).group(1)

    # when the line is downloaded
    raw = client.get(raw_url)

    # then it comes streamed, as an attachment, whole
    assert raw.status_code == 200
    assert raw.streaming
    assert raw["Content-Type"] == "text/plain"
    assert raw["Content-Length"] == str(COMMAS)
    assert raw["Content-Disposition"] == 'attachment; filename="columns-v1-line-2.txt"'
    assert b"".join(raw.streaming_content) == b"," * COMMAS


def test_a_huge_field_is_cut_and_its_length_stated(client, steward, sample_files):
    dataset = _processed(sample_files, columns=f"{COLUMNS_HEADER}\nC1,N1,db,t,c,DP1,".encode() + b"o" * 300_000 + b"\n")

    html = client.get(
        f"/datasets/{dataset.pk}/files/columns/lines/", {"line": 2, "field": "dataset_owner_name"}
    ).content.decode()

    assert len(html) < 100_000
    assert "<mark>" + "o" * source.CELL_CHARACTERS_SHOWN + "</mark>" in html
    assert "300,017 characters" in _text(html)
    assert "7 cells" in _text(html)


def test_paging_reaches_the_last_lines_and_offers_no_earlier_lines_at_the_top(client, steward, sample_files):
    rows = "".join(f"C{i},N1,db,t,c{i},DP1,o\n" for i in range(1, 13))
    dataset = _processed(sample_files, columns=f"{COLUMNS_HEADER}\n{rows}".encode())  # 13 lines
    url = f"/datasets/{dataset.pk}/files/columns/lines/"

    top = client.get(url, {"line": 2}).content.decode()
    middle = client.get(url, {"line": 7}).content.decode()
    near_end = client.get(url, {"line": 9}).content.decode()

    assert "Earlier lines" not in top  # lines 1–5 shown: nothing above
    later = re.search(r'href="([^"]*)">Later lines', top).group(1).replace("&amp;", "&")
    assert later.endswith("?line=9")  # shows 6–12, right after 5
    assert re.search(r'href="[^"]*\?line=1">‹ Earlier lines', middle)  # 4–10 shown: 1–4 above
    assert re.search(r'href="[^"]*\?line=13">Later lines', near_end)  # 6–12 shown: line 13 is reached
    last = client.get(url, {"line": 13}).content.decode()
    assert 'id="line-13"' in last
    assert "Later lines" not in last


def test_an_index_stored_before_the_blocks_still_finds_its_lines(tmp_path):
    """Versions processed earlier keep their index of every 256th line: it is read the same way."""
    import io

    import numpy as np

    from sourcelines.lines import LineIndex, RangeReader, lines_read

    data = b"h1,h2\n" + b"".join(b"v%d,x\n" % i for i in range(1, 1000)) + b"," * 200_000 + b"\nlast,x"
    starts = [0] + [i + 1 for i, byte in enumerate(data) if byte == 10]
    old = io.BytesIO()
    np.savez(old, offsets=np.array([*starts[::256], len(data)]), meta=np.array([256, len(starts), 0, 5]))
    index = LineIndex.from_bytes(old.getvalue())

    found = lines_read(index, RangeReader(lambda s, e: data[s:e], index.size), 999, 1002, shown=50)

    assert [(line.number, line.head) for line in found] == [
        (999, b"v998,x"),
        (1000, b"v999,x"),
        (1001, b"," * 50),
        (1002, b"last,x"),
    ]
    assert found[2].end - found[2].start == 200_000
    assert found[2].cut


def test_a_whitespace_only_line_offers_its_line_and_no_record(client, steward, sample_files):
    lines = sample_files["namespaces"].split(b"\n")
    dataset = _processed(sample_files, namespaces=b"\n".join([*lines[:3], b" \t ", *lines[3:]]))

    html = client.get(f"/datasets/{dataset.pk}/anomalies/", {"code": "blank-row", "file": "namespaces"}).content
    html = html.decode()

    assert f"/datasets/{dataset.pk}/files/namespaces/lines/?line=4&amp;code=blank-row" in html
    assert "/records/" not in html  # the blank line is no record: no "another anomaly rejected it"

"""The source-line view's reads, on local disk and on moto's S3 server: a byte range, not the upload."""

from types import SimpleNamespace

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages

from reports.source import line_index_render, source_view, storage_read_range
from sourcelines.lines import READ_BLOCK

pytestmark = [pytest.mark.django_db]

LINES = ["namespace_id;namespace_option_name"] + [f"N{i};Name {i}" for i in range(1, 5_001)]
DATA = ("\r\n".join(LINES) + "\r\n").encode()


@pytest.mark.parametrize("storage", ["local", "s3"])
def test_the_view_reads_the_lines_it_shows_through_ranged_reads(storage, s3_server, use_storage, monkeypatch):
    use_storage(storage, s3_server)
    key = default_storage.save("datasets/d1/versions/v1/uploads/namespaces.csv", ContentFile(DATA))
    index = default_storage.save(
        "datasets/d1/versions/v1/uploads/namespaces.lines.npz", ContentFile(line_index_render(DATA))
    )
    ranges = []
    monkeypatch.setattr("reports.source.storage_read_range", lambda **kw: ranges.append(kw) or storage_read_range(**kw))
    # the S3 storage's file object would fetch the whole object: the upload is never opened that way
    opened = []
    backend = storages["default"]
    real_open = backend.open
    monkeypatch.setattr(backend, "open", lambda name, *a: opened.append(name) or real_open(name, *a))

    view = source_view(
        index_file=SimpleNamespace(storage=default_storage, name=index),
        upload_file=SimpleNamespace(storage=default_storage, name=key),
        line=4_001,
        field_name="namespace_option_name",
        code="whitespace",
    )

    shown = {line.number: "".join(s["text"] for s in line.segments) for line in view.lines}
    assert shown == {n: f"N{n - 1};Name {n - 1}" for n in range(3_998, 4_005)}
    marked = [s["text"] for line in view.lines for s in line.segments if s["marked"]]
    assert marked == ["Name 4000"]
    assert view.header == ["namespace_id", "namespace_option_name"]
    assert storage_read_range(storage=default_storage, name=key, start=1, end=13) == DATA[1:13]
    # two blocks: the header's and the lines' (the index finds the line within one block)
    assert sum(r["end"] - r["start"] for r in ranges) <= 2 * READ_BLOCK
    assert len(DATA) > 70_000
    if storage == "s3":
        assert key not in opened

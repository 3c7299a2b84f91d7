"""The help page's sample dataset is built ahead of time (the generator uses pandas, which the web
process never imports): the zip kept in uploads/samples/ must be what the generator gives now."""

import io
import zipfile

from django.core.management import call_command

from contract import FILES
from groundtruth import sample_generate
from uploads.management.commands.generate_sample_dataset import HELP_SAMPLE
from uploads.views.help import SAMPLE_ZIP

REBUILD = "python manage.py generate_sample_dataset --zip uploads/samples/sample-dataset.zip --seed 8"


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_the_kept_sample_is_what_the_generator_gives():
    sample = sample_generate(**HELP_SAMPLE)

    kept = _members(SAMPLE_ZIP.read_bytes())

    assert kept == {f"sample/{file}.csv": sample.files[file] for file in FILES}, f"rebuild it: {REBUILD}"


def test_the_command_writes_the_sample_the_page_offers(tmp_path, steward_client):
    written = tmp_path / "sample.zip"

    call_command("generate_sample_dataset", zip=written, **HELP_SAMPLE, stdout=io.StringIO())
    offered = steward_client.get("/help/sample-dataset.zip")

    assert offered.status_code == 200
    assert _members(written.read_bytes()) == _members(offered.content)

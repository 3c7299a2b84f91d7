"""A failed version is compared with nothing: it keeps no records, so every record would read as removed."""

import pytest
from django.core.files.base import ContentFile

from uploads.models import VersionStatus
from uploads.processing import version_process
from uploads.services import dataset_create, version_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mongo")]


def _uploads(files: dict[str, bytes]) -> dict[str, ContentFile]:
    return {file: ContentFile(content, name=f"{file}.csv") for file, content in files.items()}


def test_a_failed_version_writes_no_comparison_and_a_done_one_does(sample_files):
    v1 = dataset_create(name="Sample", owner=None, files=_uploads(sample_files), enqueue=False)
    v1 = version_process(version_id=str(v1.pk))
    broken = {"columns": b"column_id,namespace_id\nC1,N1\n"}

    v2 = version_create(dataset=v1.dataset, created_by=None, files=_uploads(broken), enqueue=False)
    v2 = version_process(version_id=str(v2.pk))
    v3 = version_create(dataset=v1.dataset, created_by=None, files=_uploads(sample_files), enqueue=False)
    v3 = version_process(version_id=str(v3.pk))

    v2.refresh_from_db()
    assert v2.status == VersionStatus.FAILED
    assert not v2.diff_json
    assert not v2.diff_csv
    assert v2.compared_to_id is None
    v3.refresh_from_db()
    assert v3.status == VersionStatus.DONE
    assert v3.diff_json
    assert v3.compared_to_id == v1.pk

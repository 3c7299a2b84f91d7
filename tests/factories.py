"""Test data: factory_boy factories for the Django models (rows only: no file is written, nothing is
processed), and the helpers that upload and process a dataset in this process (no worker)."""

import factory
from django.core.files.base import ContentFile

from uploads.models import Dataset, DatasetVersion
from uploads.processing import version_process
from uploads.services import dataset_create, version_create

# The password of every user the factory makes (`client.login` or the login form need it).
PASSWORD = "pw-for-tests-only"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "auth.User"

    username = factory.Sequence(lambda number: f"user{number:02d}")
    password = factory.django.Password(PASSWORD)


class DatasetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dataset

    name = factory.Sequence(lambda number: f"dataset {number:02d}")


class VersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DatasetVersion

    dataset = factory.SubFactory(DatasetFactory)
    number = factory.Sequence(lambda number: number + 1)
    status = "done"
    namespaces = "missing/namespaces.csv"
    datapoints = "missing/datapoints.csv"
    columns = "missing/columns.csv"


def published_dataset(**fields) -> Dataset:
    """A dataset whose version 1 is done and current (`fields` go to the version)."""
    version = VersionFactory(number=1, **fields)
    Dataset.objects.filter(pk=version.dataset_id).update(current_version=version)
    return Dataset.objects.get(pk=version.dataset_id)


# --- Uploaded and processed here (files in storage, records in FerretDB) -------------------------


def upload_files(files: dict[str, bytes], prefix: str = "") -> dict[str, ContentFile]:
    """The files of an upload as the services take them: `{"columns": <prefix>columns.csv, …}`."""
    return {file: ContentFile(content, name=f"{prefix}{file}.csv") for file, content in files.items()}


def processed_dataset(files: dict[str, bytes], *, name: str = "Sample", owner=None) -> Dataset:
    """A dataset whose version 1 was uploaded and processed in this process, by the job's own service."""
    version = dataset_create(name=name, owner=owner, files=upload_files(files), enqueue=False)
    version_process(version_id=str(version.pk))
    return Dataset.objects.get(pk=version.dataset_id)


def processed_version(dataset: Dataset, files: dict[str, bytes], *, created_by=None) -> DatasetVersion:
    """A new version of `dataset` replacing `files`, processed in this process."""
    version = version_create(dataset=dataset, created_by=created_by, files=upload_files(files), enqueue=False)
    version_process(version_id=str(version.pk))
    return DatasetVersion.objects.get(pk=version.pk)

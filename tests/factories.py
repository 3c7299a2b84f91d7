"""factory_boy factories for the Django models (rows only: no file is written, nothing is processed)."""

import factory

from uploads.models import Dataset, DatasetVersion


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

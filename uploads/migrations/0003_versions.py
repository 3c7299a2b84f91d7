"""Datasets become named catalogs with versions: every existing Dataset row becomes a Dataset
and its version 1, keeping its files (same storage keys), counts, reports and status.

Its records move from the shared collections (documents tagged `dataset_id`) into the version's
own collections (`catalog.mongo`); MongoDB is contacted only when there is a dataset to move.
"""

import django.db.models.deletion
import uploads.models
import uuid
from django.conf import settings
from django.db import migrations, models


COPIED_FIELDS = ("status", "stage", "percent", "counts", "anomalies_total", "error", "started_at", "finished_at")
LEGACY_COLLECTIONS = ("namespaces", "datapoints", "columns", "anomalies", "browse_nodes")


def _records_move(version_key: str, dataset_id: str) -> bool:
    """Copies a dataset's documents from the shared collections into the version's own.

    Ids lose their `<dataset_id>:` (records, anomalies) or `<dataset_id>|` (browse nodes) prefix."""
    from catalog.mongo import mongo_connect, version_collection

    database = mongo_connect()
    moved = False
    for kind in LEGACY_COLLECTIONS:
        target = version_collection(version=version_key, kind=kind)
        target.drop()
        batch = []
        for document in database[kind].find({"dataset_id": dataset_id}):
            document.pop("dataset_id", None)
            document["_id"] = document["_id"][len(dataset_id) + 1 :]
            batch.append(document)
            if len(batch) == 5_000:
                target.insert_many(batch, ordered=False)
                batch = []
        if batch:
            target.insert_many(batch, ordered=False)
        moved = True
    return moved


def datasets_to_versions(apps, schema_editor):
    Dataset = apps.get_model("uploads", "Dataset")
    DatasetVersion = apps.get_model("uploads", "DatasetVersion")
    moved_any = False
    for dataset in Dataset.objects.all():
        deleting = dataset.status == "deleting"
        status = "done" if deleting else dataset.status
        error = dataset.error
        if status in ("queued", "processing"):
            # Its queued task belongs to the old code and will not run: say so, keep the files.
            status, error = "failed", "Interrupted by an upgrade of the application; process the version again."
        version = DatasetVersion.objects.create(
            dataset=dataset,
            number=1,
            created_by=dataset.owner,
            replaced_files=["namespaces", "datapoints", "columns"],
            namespaces=dataset.namespaces_key,
            datapoints=dataset.datapoints_key,
            columns=dataset.columns_key,
            anomalies_csv=dataset.anomalies_csv_key,
            summary_json=dataset.summary_json_key,
            **{field: getattr(dataset, field) for field in COPIED_FIELDS if field not in ("status", "error")},
            status=status,
            error=error,
        )
        DatasetVersion.objects.filter(pk=version.pk).update(created_at=dataset.created_at)
        if dataset.status in ("done", "failed", "deleting"):
            version.records_kept = moved_any = _records_move(version.id.hex, str(dataset.id))
            version.save(update_fields=["records_kept"])
        dataset.deleting = deleting
        dataset.current_version = version if status == "done" else None
        dataset.save(update_fields=["deleting", "current_version"])
    if moved_any:
        from catalog.mongo import mongo_connect

        for kind in LEGACY_COLLECTIONS:  # every dataset's documents were copied above
            mongo_connect()[kind].drop()


class Migration(migrations.Migration):

    dependencies = [
        ('uploads', '0002_dataset_deleting'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='dataset',
            name='deleting',
            field=models.BooleanField(default=False),
        ),
        migrations.CreateModel(
            name='DatasetVersion',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('number', models.PositiveIntegerField()),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('status', models.CharField(choices=[('queued', 'Queued'), ('processing', 'Processing'), ('done', 'Done'), ('failed', 'Failed')], default='queued', max_length=20)),
                ('stage', models.CharField(choices=[('queued', 'Queued'), ('reading', 'Reading'), ('checking', 'Checking'), ('persisting', 'Persisting'), ('comparing', 'Comparing'), ('reporting', 'Reporting'), ('finished', 'Finished')], default='queued', max_length=20)),
                ('percent', models.PositiveSmallIntegerField(default=0)),
                ('counts', models.JSONField(blank=True, default=dict)),
                ('anomalies_total', models.PositiveIntegerField(default=0)),
                ('error', models.TextField(blank=True)),
                ('started_at', models.DateTimeField(blank=True, null=True)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
                ('records_kept', models.BooleanField(default=False)),
                ('replaced_files', models.JSONField(blank=True, default=list)),
                ('namespaces', models.FileField(max_length=500, upload_to=uploads.models.VersionFilePath("namespaces"))),
                ('datapoints', models.FileField(max_length=500, upload_to=uploads.models.VersionFilePath("datapoints"))),
                ('columns', models.FileField(max_length=500, upload_to=uploads.models.VersionFilePath("columns"))),
                ('anomalies_csv', models.FileField(blank=True, max_length=500, upload_to=uploads.models.VersionFilePath("anomalies_csv"))),
                ('summary_json', models.FileField(blank=True, max_length=500, upload_to=uploads.models.VersionFilePath("summary_json"))),
                ('diff_json', models.FileField(blank=True, max_length=500, upload_to=uploads.models.VersionFilePath("diff_json"))),
                ('diff_csv', models.FileField(blank=True, max_length=500, upload_to=uploads.models.VersionFilePath("diff_csv"))),
                ('compared_to', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='uploads.datasetversion')),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('dataset', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='versions', to='uploads.dataset')),
            ],
            options={
                'ordering': ['dataset', '-number'],
            },
        ),
        migrations.AddField(
            model_name='dataset',
            name='current_version',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='uploads.datasetversion'),
        ),
        migrations.AddConstraint(
            model_name='datasetversion',
            constraint=models.UniqueConstraint(fields=('dataset', 'number'), name='version_number_unique'),
        ),
        migrations.RunPython(datasets_to_versions, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='dataset',
            name='anomalies_csv_key',
        ),
        migrations.RemoveField(
            model_name='dataset',
            name='anomalies_total',
        ),
        migrations.RemoveField(
            model_name='dataset',
            name='columns_key',
        ),
        migrations.RemoveField(
            model_name='dataset',
            name='counts',
        ),
        migrations.RemoveField(
            model_name='dataset',
            name='datapoints_key',
        ),
        migrations.RemoveField(
            model_name='dataset',
            name='error',
        ),
        migrations.RemoveField(
            model_name='dataset',
            name='finished_at',
        ),
        migrations.RemoveField(
            model_name='dataset',
            name='namespaces_key',
        ),
        migrations.RemoveField(
            model_name='dataset',
            name='percent',
        ),
        migrations.RemoveField(
            model_name='dataset',
            name='stage',
        ),
        migrations.RemoveField(
            model_name='dataset',
            name='started_at',
        ),
        migrations.RemoveField(
            model_name='dataset',
            name='status',
        ),
        migrations.RemoveField(
            model_name='dataset',
            name='summary_json_key',
        ),
    ]

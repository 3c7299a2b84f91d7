import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("uploads", "0006_dataset_delete_error"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="AnomalyAcceptance",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("fingerprint", models.CharField(max_length=40)),
                (
                    "scope",
                    models.CharField(choices=[("anomaly", "one anomaly"), ("group", "a group")], max_length=10),
                ),
                ("file", models.CharField(max_length=20)),
                ("code", models.CharField(max_length=40)),
                ("field", models.CharField(blank=True, max_length=200)),
                ("value", models.CharField(blank=True, max_length=200)),
                ("note", models.TextField(blank=True)),
                ("accepted_at", models.DateTimeField(auto_now_add=True)),
                ("until", models.DateField(blank=True, null=True)),
                (
                    "accepted_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "dataset",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="acceptances",
                        to="uploads.dataset",
                    ),
                ),
            ],
            options={"ordering": ["-accepted_at"]},
        ),
        migrations.AddConstraint(
            model_name="anomalyacceptance",
            constraint=models.UniqueConstraint(fields=("dataset", "fingerprint"), name="acceptance_unique"),
        ),
    ]

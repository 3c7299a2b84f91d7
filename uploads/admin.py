"""The admin reads datasets and versions; deleting a dataset there runs the app's own delete
(collections dropped, files removed), so no record or file outlives its row."""

from django.contrib import admin

from uploads.models import Dataset, DatasetVersion
from uploads.services import dataset_delete


class DatasetVersionInline(admin.TabularInline):
    model = DatasetVersion
    fk_name = "dataset"
    fields = ("number", "status", "stage", "percent", "anomalies_total", "records_kept", "created_by", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "current_version", "deleting", "created_at")
    list_filter = ("deleting",)
    readonly_fields = [field.name for field in Dataset._meta.fields]
    inlines = [DatasetVersionInline]

    def has_add_permission(self, request) -> bool:
        return False

    def delete_model(self, request, obj: Dataset) -> None:
        dataset_delete(dataset=obj)

    def delete_queryset(self, request, queryset) -> None:
        for dataset in queryset:
            dataset_delete(dataset=dataset)

"""The admin reads datasets and versions; deleting a dataset there goes through the app's one
delete path (`dataset_delete_request`): refused with the reason while a version is being
processed, otherwise the worker drops the collections and removes the files, so no record or
file outlives its row."""

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse

from uploads.models import Dataset, DatasetVersion
from uploads.services import DatasetBusy, dataset_delete_request


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

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except DatasetBusy as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:uploads_dataset_change", args=[object_id]))

    def delete_model(self, request, obj: Dataset) -> None:
        dataset_delete_request(dataset=obj)  # raises DatasetBusy: `delete_view` says why

    def response_delete(self, request, obj_display, obj_id):
        self.message_user(
            request, f"“{obj_display}” is being deleted with all its versions, records and files.", messages.SUCCESS
        )
        return HttpResponseRedirect(reverse("admin:uploads_dataset_changelist"))

    def get_actions(self, request):
        # No bulk delete: its "Successfully deleted" would hide the refusals; one at a time, each says.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

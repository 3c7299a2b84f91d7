from django.contrib import admin

from uploads.models import Dataset


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "status", "stage", "percent", "anomalies_total", "created_at")
    list_filter = ("status",)
    readonly_fields = [field.name for field in Dataset._meta.fields]

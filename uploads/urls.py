from django.urls import include, path

from uploads.models import VERSION_FILES
from uploads.views import anomalies, catalog, changes, datasets, downloads, help, source, triage

app_name = "uploads"


def _report(prefix: str, report: str, name: str):
    """A report's download, at the name it is stored under."""
    return path(f"{prefix}{VERSION_FILES[report].name}", downloads.report_download, {"report": report}, name=name)


# Pages and reports of one version, by its number: `datasets/<id>/versions/<number>/...`.
version_patterns = [
    path("anomalies/", anomalies.anomaly_list, name="version_anomaly_list"),
    path("anomalies/groups/", triage.anomaly_groups, name="version_anomaly_groups"),
    path("fixes/", triage.fixes_view, name="version_fixes"),
    path("fixes.csv", triage.fixes_download, name="version_fixes_download"),
    path("rejected/<str:file>.csv", downloads.rejected_download, name="version_rejected_csv"),
    path("files/<str:file>/lines/", anomalies.source_lines, name="version_source_lines"),
    path("files/<str:file>/lines/raw/", source.source_line_raw_download, name="version_source_line_raw"),
    _report("", "anomalies_csv", "version_anomalies_csv"),
    _report("", "summary_json", "version_summary_json"),
    path("changes/", changes.version_changes, name="version_changes"),
    _report("", "diff_json", "version_changes_json"),
    _report("", "diff_csv", "version_changes_csv"),
    path("retry/", datasets.version_retry_view, name="version_retry"),
    path("delete/", datasets.version_delete_view, name="version_delete"),
]

urlpatterns = [
    path("", datasets.dataset_list, name="dataset_list"),
    path("datasets/<uuid:dataset_id>/", datasets.dataset_detail, name="dataset_detail"),
    path("datasets/<uuid:dataset_id>/status.json", datasets.dataset_status, name="dataset_status"),
    path("datasets/<uuid:dataset_id>/delete/", datasets.dataset_delete_view, name="dataset_delete"),
    path("datasets/<uuid:dataset_id>/versions/", datasets.version_create_view, name="version_create"),
    path("datasets/<uuid:dataset_id>/versions/<int:number>/", include(version_patterns)),
    path("datasets/<uuid:dataset_id>/browse/", catalog.browse, name="browse"),
    path("datasets/<uuid:dataset_id>/datapoint/", catalog.datapoint_detail, name="datapoint_detail"),
    path("datasets/<uuid:dataset_id>/anomalies/", anomalies.anomaly_list, name="anomaly_list"),
    path("datasets/<uuid:dataset_id>/anomalies/groups/", triage.anomaly_groups, name="anomaly_groups"),
    path("datasets/<uuid:dataset_id>/anomalies/accept/", triage.anomaly_accept_view, name="anomaly_accept"),
    path("datasets/<uuid:dataset_id>/anomalies/undo/", triage.anomaly_undo_view, name="anomaly_undo"),
    path("datasets/<uuid:dataset_id>/rejected/<str:file>.csv", downloads.rejected_download, name="rejected_csv"),
    path("datasets/<uuid:dataset_id>/files/<str:file>/lines/", anomalies.source_lines, name="source_lines"),
    path("datasets/<uuid:dataset_id>/records/<str:file>/", anomalies.record, name="record"),
    _report("datasets/<uuid:dataset_id>/", "anomalies_csv", "anomalies_csv"),
    _report("datasets/<uuid:dataset_id>/", "summary_json", "summary_json"),
    path("datasets/<uuid:dataset_id>/export.json", downloads.export_json_download, name="export_json"),
    path("datasets/<uuid:dataset_id>/search/", catalog.search, name="search"),
    path(
        "datasets/<uuid:dataset_id>/search/export.json",
        downloads.search_export_json_download,
        name="search_export_json",
    ),
    path("search/", catalog.search_all, name="search_all"),
    path("help/anomalies/", help.help_anomalies, name="help_anomalies"),
    path("help/templates/catalog-template.xlsx", help.template_workbook_download, name="template_workbook_download"),
    path("help/templates/<str:file>.csv", help.template_download, name="template_download"),
    path("help/sample-dataset.zip", help.sample_download, name="sample_download"),
]

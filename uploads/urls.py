from django.urls import path

from uploads.views import anomalies, catalog, datasets, downloads, help

app_name = "uploads"

urlpatterns = [
    path("", datasets.dataset_list, name="dataset_list"),
    path("datasets/<uuid:dataset_id>/", datasets.dataset_detail, name="dataset_detail"),
    path("datasets/<uuid:dataset_id>/status.json", datasets.dataset_status, name="dataset_status"),
    path("datasets/<uuid:dataset_id>/retry/", datasets.dataset_retry_view, name="dataset_retry"),
    path("datasets/<uuid:dataset_id>/delete/", datasets.dataset_delete_view, name="dataset_delete"),
    path("datasets/<uuid:dataset_id>/browse/", catalog.browse, name="browse"),
    path("datasets/<uuid:dataset_id>/datapoint/", catalog.datapoint_detail, name="datapoint_detail"),
    path("datasets/<uuid:dataset_id>/anomalies/", anomalies.anomaly_list, name="anomaly_list"),
    path("datasets/<uuid:dataset_id>/files/<str:file>/lines/", anomalies.source_lines, name="source_lines"),
    path("datasets/<uuid:dataset_id>/records/<str:file>/", anomalies.record, name="record"),
    path("datasets/<uuid:dataset_id>/anomalies.csv", downloads.anomalies_csv_download, name="anomalies_csv"),
    path("datasets/<uuid:dataset_id>/summary.json", downloads.summary_json_download, name="summary_json"),
    path("datasets/<uuid:dataset_id>/export.json", downloads.export_json_download, name="export_json"),
    path("datasets/<uuid:dataset_id>/search/", catalog.search, name="search"),
    path(
        "datasets/<uuid:dataset_id>/search/export.json",
        downloads.search_export_json_download,
        name="search_export_json",
    ),
    path("help/anomalies/", help.help_anomalies, name="help_anomalies"),
    path("help/templates/<str:file>.csv", help.template_download, name="template_download"),
    path("help/sample-dataset.zip", help.sample_download, name="sample_download"),
]

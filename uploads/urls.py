from django.urls import path

from reports import views as report_views
from uploads import views

app_name = "uploads"

urlpatterns = [
    path("", views.dataset_list, name="dataset_list"),
    path("datasets/<uuid:dataset_id>/", views.dataset_detail, name="dataset_detail"),
    path("datasets/<uuid:dataset_id>/status.json", views.dataset_status, name="dataset_status"),
    path("datasets/<uuid:dataset_id>/retry/", views.dataset_retry_view, name="dataset_retry"),
    path("datasets/<uuid:dataset_id>/delete/", views.dataset_delete_view, name="dataset_delete"),
    path("datasets/<uuid:dataset_id>/browse/", views.browse, name="browse"),
    path("datasets/<uuid:dataset_id>/datapoint/", views.datapoint_detail, name="datapoint_detail"),
    path("datasets/<uuid:dataset_id>/anomalies/", views.anomaly_list, name="anomaly_list"),
    path("datasets/<uuid:dataset_id>/anomalies.csv", report_views.anomalies_csv_download, name="anomalies_csv"),
    path("datasets/<uuid:dataset_id>/summary.json", report_views.summary_json_download, name="summary_json"),
    path("datasets/<uuid:dataset_id>/export.json", report_views.export_json_download, name="export_json"),
    path("datasets/<uuid:dataset_id>/search/", views.search, name="search"),
    path("datasets/<uuid:dataset_id>/search/export.json", report_views.search_export_json_download,
         name="search_export_json"),
]

from django.urls import path

from . import export_views

app_name = "registers_export"

urlpatterns = [
    path("", export_views.export_page, name="page"),
    path("<uuid:export_id>/", export_views.export_status, name="status"),
    path("<uuid:export_id>/file/", export_views.export_download, name="download"),
]

from django.urls import path

from . import views

app_name = "registers"

urlpatterns = [
    path("import/", views.import_start, name="import_start"),
    path("import/<uuid:import_id>/", views.import_detail, name="import_detail"),
    path("import/<uuid:import_id>/run/", views.import_run, name="import_run"),
    path("import/<uuid:import_id>/retry/", views.import_retry, name="import_retry"),
    path("import/<uuid:import_id>/rejected.xlsx", views.import_rejected, name="import_rejected"),
    path("template.xlsx", views.template_download, name="template"),
    path("template/<slug:sheet>.csv", views.template_csv_download, name="template_csv"),
]

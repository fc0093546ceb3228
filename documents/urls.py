from django.urls import path

from . import views

app_name = "documents"
urlpatterns = [
    path("cases/<uuid:case_id>/add/", views.document_add, name="document_add"),
    path(
        "records/<str:record_type>/<uuid:record_id>/add/",
        views.record_document_add,
        name="record_document_add",
    ),
    path("<uuid:document_id>/", views.document_detail, name="document_detail"),
    path("<uuid:document_id>/edit/", views.document_edit, name="document_edit"),
    path("<uuid:document_id>/withdraw/", views.document_withdraw, name="document_withdraw"),
    path("<uuid:document_id>/replace/", views.document_replace, name="document_replace"),
    path("<uuid:document_id>/file/", views.document_file, name="document_file"),
    path("<uuid:document_id>/thumbnail/", views.document_thumbnail, name="document_thumbnail"),
]

from django.urls import path

from . import views

app_name = "services"
urlpatterns = [
    path("cases/<uuid:case_id>/add/<slug:kind_slug>/", views.record_add, name="record_add"),
    path("services/<slug:kind_slug>/<uuid:record_id>/", views.record_detail, name="record_detail"),
    path("services/<slug:kind_slug>/<uuid:record_id>/edit/", views.record_edit, name="record_edit"),
]

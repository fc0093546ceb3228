from django.urls import path

from . import views

app_name = "services"
urlpatterns = [
    path("cases/<uuid:case_id>/add/<slug:kind_slug>/", views.record_add, name="record_add"),
    path("services/<slug:kind_slug>/<uuid:record_id>/", views.record_detail, name="record_detail"),
    path("services/<slug:kind_slug>/<uuid:record_id>/edit/", views.record_edit, name="record_edit"),
    path(
        "services/follow-up/<uuid:followup_id>/record/",
        views.followup_record,
        name="followup_record",
    ),
    path("services/episode/<uuid:episode_id>/stages/add/", views.stage_add, name="stage_add"),
    path("services/episode/stages/<uuid:stage_id>/edit/", views.stage_edit, name="stage_edit"),
]

from django.urls import path

from . import views

app_name = "methadone"
urlpatterns = [
    path("methadone/today/", views.today, name="today"),
    path(
        "methadone/today/<uuid:methadone_episode_id>/dose/",
        views.dose_record,
        name="dose_record",
    ),  # fmt: skip
    path("methadone/doses/<int:dose_id>/correct/", views.dose_correct, name="dose_correct"),
    path("methadone/episodes/<uuid:methadone_episode_id>/", views.episode, name="episode"),
    path(
        "methadone/episodes/<uuid:methadone_episode_id>/prescriptions/add/",
        views.prescription_add,
        name="prescription_add",
    ),  # fmt: skip
]

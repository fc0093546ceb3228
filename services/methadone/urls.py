from django.urls import path

from . import figure_views, views

app_name = "methadone"
urlpatterns = [
    path("methadone/today/", views.today, name="today"),
    path(
        "methadone/today/<uuid:methadone_episode_id>/dose/",
        views.dose_record,
        name="dose_record",
    ),
    path("methadone/doses/<int:dose_id>/correct/", views.dose_correct, name="dose_correct"),
    path(
        "methadone/episodes/<uuid:methadone_episode_id>/one-day-dose/",
        views.dose_override,
        name="dose_override",
    ),
    path("methadone/episodes/<uuid:methadone_episode_id>/", views.episode, name="episode"),
    path(
        "methadone/episodes/<uuid:methadone_episode_id>/prescriptions/add/",
        views.prescription_add,
        name="prescription_add",
    ),
    # The figures pages (a patient's episode, a clinic's counts).
    path(
        "methadone/episodes/<uuid:methadone_episode_id>/figures/",
        figure_views.episode_figures,
        name="episode_figures",
    ),
    path("methadone/clinic/", figure_views.clinic_figures, name="clinic_figures"),
]

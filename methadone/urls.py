from django.urls import path

from . import figure_views

app_name = "methadone"
urlpatterns = [
    # The figures pages (a patient's episode, a clinic's counts).
    path(
        "methadone/episode/<uuid:episode_id>/",
        figure_views.episode_figures,
        name="episode_figures",
    ),  # fmt: skip
    path("methadone/clinic/", figure_views.clinic_figures, name="clinic_figures"),
]

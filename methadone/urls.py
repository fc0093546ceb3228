from django.urls import path

from . import figure_views

app_name = "methadone"

urlpatterns = [
    path("episode/<uuid:episode_id>/", figure_views.episode_figures, name="episode_figures"),
    path("clinic/", figure_views.clinic_figures, name="clinic_figures"),
]

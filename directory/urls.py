from django.urls import path

from . import views

app_name = "directory"

urlpatterns = [
    path("", views.index, name="index"),
    path("treatment/", views.treatment, name="treatment"),
    path("rights/", views.rights, name="rights"),
    path("<str:province_code>/", views.province, name="province"),
]

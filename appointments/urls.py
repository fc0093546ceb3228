from django.urls import path

from . import views

app_name = "appointments"
urlpatterns = [
    path("", views.calendar, name="calendar"),
    path("lich-hen.ics", views.calendar_file, name="calendar_file"),
    path("cases/<uuid:case_id>/add/", views.appointment_add, name="appointment_add"),
    path("<uuid:appointment_id>/", views.appointment_detail, name="appointment_detail"),
    path("<uuid:appointment_id>/edit/", views.appointment_edit, name="appointment_edit"),
]

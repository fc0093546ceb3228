"""The programme pages: training courses, volunteers, communication activities (D48)."""

from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "programme"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.index, name="index"),
    path("courses/new/", views.course_add, name="course_add"),
    path("courses/<uuid:course_id>/", views.course_detail, name="course_detail"),
    path("courses/<uuid:course_id>/edit/", views.course_edit, name="course_edit"),
    path("courses/<uuid:course_id>/attendees/new/", views.attendee_add, name="attendee_add"),
    path("attendees/<uuid:attendance_id>/remove/", views.attendee_remove, name="attendee_remove"),
    path("volunteers/new/", views.volunteer_add, name="volunteer_add"),
    path("volunteers/<uuid:volunteer_id>/edit/", views.volunteer_edit, name="volunteer_edit"),
    path("activities/new/", views.activity_add, name="activity_add"),
    path("activities/<uuid:activity_id>/edit/", views.activity_edit, name="activity_edit"),
    path("planned/new/", views.planned_add, name="planned_add"),
    path("planned/<uuid:planned_id>/edit/", views.planned_edit, name="planned_edit"),
]

from django.urls import path

from . import views

app_name = "exampleapp"
urlpatterns = [
    path("cases/<uuid:case_id>/notes/add/", views.note_add, name="note_add"),
    path("notes/<uuid:note_id>/", views.note_detail, name="note_detail"),
    path("notes/<uuid:note_id>/edit/", views.note_edit, name="note_edit"),
]

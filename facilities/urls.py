from django.urls import path

from . import views

app_name = "facilities"

urlpatterns = [
    path("", views.facility_list, name="facility_list"),
    path("add/", views.facility_add, name="facility_add"),
    path("<uuid:facility_id>/", views.facility_detail, name="facility_detail"),
    path("<uuid:facility_id>/edit/", views.facility_edit, name="facility_edit"),
    path("<uuid:facility_id>/reviews/add/", views.review_add, name="review_add"),
    path("reviews/<uuid:review_id>/", views.review_detail, name="review_detail"),
]

from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("two-factor/", views.otp_verify, name="otp_verify"),
    path("two-factor/enrol/", views.otp_enrol, name="otp_enrol"),
]

from django.urls import path

from . import views

app_name = "referrals"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("figures/", views.figures_page, name="figures"),
    path("cases/<uuid:case_id>/new/", views.referral_create, name="referral_create"),
    path("<uuid:referral_id>/", views.referral_detail, name="referral_detail"),
    path("<uuid:referral_id>/act/", views.referral_act, name="referral_act"),
    path("<uuid:referral_id>/edit/", views.referral_edit, name="referral_edit"),
    path("<uuid:referral_id>/staff/", views.referral_staff, name="referral_staff"),
    path("consents/<uuid:consent_id>/withdraw/", views.consent_withdraw, name="consent_withdraw"),
]

from django.urls import path

from . import client_views

app_name = "api_clients"

urlpatterns = [
    path("", client_views.client_list, name="list"),
    path("<uuid:client_id>/token", client_views.client_token, name="token"),
    path("<uuid:client_id>/revoke", client_views.client_revoke, name="revoke"),
]

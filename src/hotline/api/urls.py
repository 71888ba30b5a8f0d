from django.urls import path

from . import views

app_name = "api_tokens"
urlpatterns = [
    path("", views.tokens, name="tokens"),
    path("<int:key_id>/revoke/", views.revoke, name="revoke"),
]

from django.urls import path

from . import views

app_name = "outbox"
urlpatterns = [
    path("failed/", views.failed, name="failed"),
    path("failed/<int:message_id>/", views.failed_one, name="failed_one"),
    path("failed/<int:message_id>/retry", views.retry, name="retry"),
    path("failed/<int:message_id>/give-up", views.give_up, name="give_up"),
]

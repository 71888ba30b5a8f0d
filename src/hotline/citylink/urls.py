from django.urls import path

from . import views

app_name = "citylink"
urlpatterns = [
    path("inbound", views.inbound_view, name="inbound"),
]

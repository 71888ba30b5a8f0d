from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="file"),
    path("track/", views.home, name="track"),
]

from django.urls import path

from . import views

app_name = "notify"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("all/", views.all_recent, name="all"),
    path("preferences/", views.preferences, name="preferences"),
]

from django.urls import path

from . import views

app_name = "triage"
urlpatterns = [
    path("review/", views.review, name="review"),
    path("review/<int:decision_id>/", views.review_one, name="review_one"),
    path("stats/", views.stats, name="stats"),
]

from django.urls import path

from . import views

app_name = "governance"
urlpatterns = [
    path("hotspots/", views.board, name="hotspots"),
    path("hotspots/<int:root>/", views.detail, name="hotspot"),
    path("hotspots/<int:root>/finding/", views.record_finding, name="finding"),
    path("causes/", views.causes, name="causes"),
]

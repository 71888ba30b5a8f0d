from django.urls import path

from . import citizen

urlpatterns = [
    path("", citizen.file_request, name="file"),
    path("filed/", citizen.filed, name="filed"),
    path("track/", citizen.track, name="track"),
    path("track/<str:number>/", citizen.order_page, name="order"),
    path("track/<str:number>/evaluate/", citizen.evaluate, name="evaluate"),
]

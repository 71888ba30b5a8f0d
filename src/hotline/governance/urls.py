from django.urls import path

from . import views

app_name = "governance"
urlpatterns = [
    path("hotspots/", views.board, name="hotspots"),
    path("hotspots/<int:root>/", views.detail, name="hotspot"),
    path("hotspots/<int:root>/finding/", views.record_finding, name="finding"),
    path("causes/", views.causes, name="causes"),
    path("seasonal/", views.seasonal_rules, name="seasonal"),
]

# The district map (governance.map_views)
from . import map_views  # noqa: E402

urlpatterns += [
    path("map/", map_views.map_page, name="map"),
    path("map/data/", map_views.map_data, name="map_data"),
    path("map/boundaries/", map_views.boundaries, name="boundaries"),
]

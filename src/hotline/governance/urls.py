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

# Governance tasks (governance.task_views)
from . import task_views  # noqa: E402

urlpatterns += [
    path("tasks/", task_views.task_list, name="tasks"),
    path("tasks/new/", task_views.task_new, name="task_new"),
    path("tasks/<int:pk>/", task_views.task_detail, name="task"),
    path("tasks/<int:pk>/files/<int:progress>/", task_views.task_file, name="task_file"),
    path("tasks/<int:pk>/<slug:verb>/", task_views.task_action, name="task_action"),
    path("monthly/", task_views.monthly_list, name="monthly"),
]

from django.urls import path

from . import change_views, views

app_name = "assessment"
urlpatterns = [
    path("", views.overview_page, name="overview"),
    path("unit/<int:unit_id>/", views.unit_page, name="unit"),
    path("gaming/", views.gaming_page, name="gaming"),
    path("rechecks/", views.rechecks_page, name="rechecks"),
    path("warnings/", views.warnings_page, name="warnings"),
    path("warnings/subscribe/", views.subscribe, name="subscribe"),
    path("diagnostics/", views.diagnostics_page, name="diagnostics"),
    path("gaps/", views.gaps_page, name="gaps"),
    path("review-reasons/", views.review_reasons_page, name="review_reasons"),
    path("report/", views.report_page, name="report"),
    path("rules/", views.rules_page, name="rules"),
    path("consequences/", views.consequences_page, name="consequences"),
    path("rules/changes/", change_views.change_list, name="rule_changes"),
    path("rules/changes/new/", change_views.change_new, name="rule_change_new"),
    path("rules/changes/<int:pk>/", change_views.change_detail, name="rule_change"),
    path("rules/changes/<int:pk>/<str:verb>/", change_views.change_action, name="rule_change_action"),
    path("rules/<int:rule_id>/history/", change_views.rule_history, name="rule_history"),
]

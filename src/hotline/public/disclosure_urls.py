"""/public/stats/: the monthly disclosure (社会公示), one stable URL per month and per table."""

from django.urls import path

from . import disclosure

urlpatterns = [
    path("", disclosure.index, name="stats"),
    path("<str:month>/", disclosure.month_page, name="stats_month"),
    path("<str:month>/figures.csv", disclosure.figures_csv, name="stats_figures"),
    path("<str:month>/rankings.csv", disclosure.rankings_csv, name="stats_rankings"),
    path("<str:month>/screened.csv", disclosure.screened_csv, name="stats_screened"),
]

from django.urls import path

from members import statistics_views

app_name = "statistics"

urlpatterns = [
    path("", statistics_views.index, name="index"),
    path("membership/", statistics_views.membership, name="membership"),
    path("cards/", statistics_views.cards, name="cards"),
    path("grades/", statistics_views.grades, name="grades"),
]

"""The 公示 pages (/honours/): the public lists, an objection, my objections, my honours."""

from django.urls import path

from competitions.honours import public_views

app_name = "honours_public"

urlpatterns = [
    path("", public_views.round_list, name="public_lists"),
    path("<int:pk>/", public_views.round_detail, name="public_round"),
    path("objections/", public_views.my_objections, name="my_objections"),
    path("mine/", public_views.my_honours, name="my_honours"),
]

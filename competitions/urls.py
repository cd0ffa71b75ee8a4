from django.urls import path

from competitions import views

urlpatterns = [
    path("me/", views.me, name="me"),
    path("leaderboard/", views.leaderboard, name="leaderboard"),
]

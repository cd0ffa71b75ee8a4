from django.urls import path

from competitions.api import views

urlpatterns = [
    path("competitions/", views.CompetitionList.as_view(), name="competition-list"),
    path("competitions/<int:pk>/", views.CompetitionDetail.as_view(), name="competition-detail"),
    path("business-systems/", views.BusinessSystemList.as_view(), name="business-system-list"),
    path("job-types/", views.JobTypeList.as_view(), name="job-type-list"),
    path("rules/", views.RuleList.as_view(), name="rule-list"),
    path("rules/<int:pk>/", views.RuleDetail.as_view(), name="rule-detail"),
]

urlpatterns += [
    path("competitions/<int:pk>/standings/me/", views.MyStanding.as_view(), name="my-standing"),
    path("competitions/<int:pk>/standings/me/history/", views.MyStandingHistory.as_view(), name="my-standing-history"),
    path("competitions/<int:pk>/standings/me/workload/", views.MyWorkload.as_view(), name="my-workload"),
    path("competitions/<int:pk>/leaderboard/", views.Leaderboard.as_view(), name="leaderboard"),
    path("competitions/<int:pk>/leaderboard/around-me/", views.AroundMe.as_view(), name="leaderboard-around-me"),
]

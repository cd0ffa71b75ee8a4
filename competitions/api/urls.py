from django.urls import path

from competitions.api import catalog, standings_views

urlpatterns = [
    path("competitions/", catalog.CompetitionList.as_view(), name="competition-list"),
    path("competitions/<int:pk>/", catalog.CompetitionDetail.as_view(), name="competition-detail"),
    path("business-systems/", catalog.BusinessSystemList.as_view(), name="business-system-list"),
    path("job-types/", catalog.JobTypeList.as_view(), name="job-type-list"),
    path("rules/", catalog.RuleList.as_view(), name="rule-list"),
    path("rules/<int:pk>/", catalog.RuleDetail.as_view(), name="rule-detail"),
]

urlpatterns += [
    path("competitions/<int:pk>/standings/me/", standings_views.MyStanding.as_view(), name="my-standing"),
    path("competitions/<int:pk>/standings/me/history/", standings_views.MyStandingHistory.as_view(),
         name="my-standing-history"),
    path("competitions/<int:pk>/standings/me/workload/", standings_views.MyWorkload.as_view(), name="my-workload"),
    path("competitions/<int:pk>/leaderboard/", standings_views.Leaderboard.as_view(), name="leaderboard"),
    path("competitions/<int:pk>/leaderboard/around-me/", standings_views.AroundMe.as_view(),
         name="leaderboard-around-me"),
]

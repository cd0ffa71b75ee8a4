from django.urls import path

from competitions.api import catalog, jobs, standings_views

urlpatterns = [
    path("competitions/", catalog.CompetitionList.as_view(), name="competition-list"),
    path("competitions/<int:pk>/", catalog.CompetitionDetail.as_view(), name="competition-detail"),
    path("business-systems/", catalog.BusinessSystemList.as_view(), name="business-system-list"),
    path("job-types/", catalog.JobTypeList.as_view(), name="job-type-list"),
    path("rules/", catalog.RuleList.as_view(), name="rule-list"),
    path("rules/<int:pk>/", catalog.RuleDetail.as_view(), name="rule-detail"),
    path("jobs/<int:pk>/", jobs.JobDetail.as_view(), name="job-detail"),
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

from competitions.honours import api as honours_api  # noqa: E402 - the 公示 endpoints, kept beside the others

urlpatterns += [
    path("competitions/<int:pk>/award-rounds/", honours_api.AwardRoundList.as_view(), name="award-round-list"),
    path("competitions/<int:competition_id>/award-rounds/<int:pk>/", honours_api.AwardRoundDetail.as_view(),
         name="award-round-detail"),
    path("competitions/<int:competition_id>/award-rounds/<int:pk>/objections/", honours_api.ObjectionRaise.as_view(),
         name="award-round-objections"),
    path("me/objections/", honours_api.MyObjectionList.as_view(), name="my-objections"),
    path("me/honours/", honours_api.MyHonourList.as_view(), name="my-honours"),
]

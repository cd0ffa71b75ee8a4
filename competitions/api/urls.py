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

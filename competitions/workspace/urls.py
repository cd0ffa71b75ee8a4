from django.urls import path

from competitions import job_views
from competitions.workspace import views

app_name = "workspace"

urlpatterns = [
    path("", views.day_ranking, name="day"),
    path("print/", views.day_print, name="day_print"),
    path("export/", views.export_day, name="export_day"),
    path("periods/", views.periods, name="periods"),
    path("periods/<int:pk>/", views.period_detail, name="period"),
    path("periods/<int:pk>/status/", views.period_status, name="period_status"),
    path("periods/<int:pk>/print/", views.period_print, name="period_print"),
    path("periods/<int:pk>/export/", views.export_period, name="export_period"),
    # The job pages moved to /jobs/ (competitions.job_urls); the old addresses redirect there.
    path("jobs/", job_views.old_job_list, name="jobs"),
    path("jobs/<int:pk>/", job_views.old_job_detail, name="job"),
    path("jobs/<int:pk>/status/", job_views.old_job_status, name="job_status"),
    path("jobs/<int:pk>/download/", job_views.old_job_download, name="job_download"),
]

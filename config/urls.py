from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from competitions import views as competitions_views
from members import skill_views
from reviews import urls as reviews_urls

admin.site.site_header = _("劳动竞赛门户 · 工会管理")
admin.site.site_title = _("劳动竞赛门户")
admin.site.index_title = _("工会管理后台")

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_router")),
    # Before the apps' pages: tests/test_view_gate.py reads gates by url name, and the clerks' "list" and
    # "detail" (listed after) are the ones it checks.
    path("messages/", include("members.messages_urls")),
    path("jobs/", include("competitions.job_urls")),
    path("entries/", include((reviews_urls.clerk_patterns, "entries"))),
    path("review/", include((reviews_urls.review_patterns, "review"))),
    path("me/entries/", include(reviews_urls.worker_patterns)),
    path("honours/", include("competitions.honours.public_urls")),
    path("staff/standings/", include("competitions.workspace.urls")),
    path("staff/honours/", include("competitions.honours.urls")),
    path("staff/dashboard/", competitions_views.dashboard, name="dashboard"),
    path("", include("competitions.urls")),
    path("", include("members.urls")),
    path("union/skills/", include("members.skill_urls")),
    path("me/skills/", skill_views.my_skills, name="my_skills"),
    path("union/statistics/", include("members.statistics_urls")),
]

handler400 = "config.api.errors.bad_request"
handler403 = "config.api.errors.permission_denied"
handler404 = "config.api.errors.page_not_found"
handler500 = "config.api.errors.server_error"

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()

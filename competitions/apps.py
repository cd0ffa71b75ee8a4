from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompetitionsConfig(AppConfig):
    name = "competitions"
    verbose_name = _("劳动竞赛")

    def ready(self):
        # The standings admin lives in its own module (competitions/admin.py has another owner).
        from competitions import admin_standings  # noqa: F401

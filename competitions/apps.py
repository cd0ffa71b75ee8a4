from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompetitionsConfig(AppConfig):
    name = "competitions"
    verbose_name = _("劳动竞赛")

    def ready(self):
        # The standings admin lives in its own module (competitions/admin.py has another owner); the
        # rule-version guard file registers with the check that compares it with the installed function.
        from competitions import admin_standings, rule_versions  # noqa: F401

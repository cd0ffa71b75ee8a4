from django.apps import AppConfig
from django.db.models.signals import post_delete
from django.utils.translation import gettext_lazy as _


class CompetitionsConfig(AppConfig):
    name = "competitions"
    verbose_name = _("劳动竞赛")

    def ready(self):
        # The standings admin lives in its own module (competitions/admin.py has another owner).
        from competitions import admin_standings  # noqa: F401

        post_delete.connect(_forget_standings, sender="competitions.Competition",
                            dispatch_uid="competitions.forget_standings")


def _forget_standings(sender, instance, **kwargs):
    from competitions.standings import forget_competition

    forget_competition(competition_id=instance.pk)

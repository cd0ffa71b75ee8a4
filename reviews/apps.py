from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = _("录入与审核")

    def ready(self):
        # Registers the trigger files (the entry log, the guard of the workers and rules entries name) with
        # the check that compares them with the installed functions.
        from reviews import entry_log, entry_references  # noqa: F401

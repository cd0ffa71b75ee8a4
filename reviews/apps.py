from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = _("录入与审核")

    def ready(self):
        # Registers the entry-log trigger file with the check that compares it with the installed function.
        from reviews import entry_log  # noqa: F401

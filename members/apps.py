import axes.apps
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("单位与职工")


class LoginLockConfig(axes.apps.AppConfig):
    """django-axes (the login lockout, members/lockout.py) under a name union staff read in the admin.
    Named in INSTALLED_APPS; ``default = False`` keeps MembersConfig the members app's config."""

    default = False
    verbose_name = _("登录保护")

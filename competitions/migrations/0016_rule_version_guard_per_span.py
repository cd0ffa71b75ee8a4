from django.db import migrations

from competitions.rule_versions import RULE_VERSION_GUARD


class Migration(migrations.Migration):
    """The rule-version guard checks each span with its own query on one rule and a date range."""

    dependencies = [("competitions", "0015_job_heartbeat")]

    operations = [RULE_VERSION_GUARD.reinstall_operation()]

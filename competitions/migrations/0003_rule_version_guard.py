from django.db import migrations

from competitions.rule_versions import RULE_VERSION_GUARD


class Migration(migrations.Migration):
    dependencies = [
        ("competitions", "0002_standingrun_backend_pid"),
        ("reviews", "0001_initial"),
    ]

    operations = [
        RULE_VERSION_GUARD.migration_operation(),
    ]

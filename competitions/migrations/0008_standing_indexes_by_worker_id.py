# The leaderboards are ordered (rank, worker_id) instead of (rank, employee_no): a page's cursor is made of
# its last row's keys, and an employee number (a login name) must not travel in the "next" links other
# workers see. The scope indexes of the partitioned parent follow (competitions.standings.PARTITION_INDEXES);
# dropping a parent's index drops its partitions' copies, creating one builds them on every partition.

from django.db import migrations

STANDING = "competitions_standing"
SCOPES = {
    "overall": "rank_overall",
    "business_system": "business_system_id, rank_business_system",
    "job_type": "job_type_id, rank_job_type",
    "unit": "depot_id, rank_unit",
}


def _indexes(tie_breaker: str) -> str:
    return "\n".join(f"DROP INDEX standing_{scope}; CREATE INDEX standing_{scope} ON {STANDING} ({columns}, "
                     f"{tie_breaker});" for scope, columns in SCOPES.items())


class Migration(migrations.Migration):

    dependencies = [
        ('competitions', '0007_standings_written_once'),
    ]

    operations = [
        migrations.RunSQL(_indexes("worker_id"), _indexes("employee_no")),
    ]

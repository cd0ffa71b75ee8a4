"""manage.py recompute_standings --competition ID [--day YYYY-MM-DD] [--full]"""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from competitions.models import Competition, RunOutcome
from competitions.services import standings_day_for, standings_recompute


class Command(BaseCommand):
    help = "Recompute one competition's standings for a day (default: yesterday, Asia/Shanghai), in-process."

    def add_arguments(self, parser):
        parser.add_argument("--competition", type=int, required=True)
        parser.add_argument("--day", type=date.fromisoformat, default=None, help="YYYY-MM-DD")
        parser.add_argument("--full", action="store_true", help="rebuild the running totals from all entries")

    def handle(self, *args, competition, day, full, **options):
        comp = Competition.objects.filter(pk=competition).first()
        if comp is None:
            raise CommandError(f"competition {competition} does not exist")
        day = day or standings_day_for()
        run = standings_recompute(competition=comp, day=day, full=full, trigger="command")
        if run.outcome == RunOutcome.SKIPPED:
            raise CommandError(f"run {run.pk} skipped: another run of this competition is in progress")
        self.stdout.write(f"run {run.pk}: {run.kind} {run.day} {run.outcome}, {run.rows} rows, "
                          f"{run.deltas or 0} changes, {(run.finished_at - run.started_at).total_seconds():.2f}s")

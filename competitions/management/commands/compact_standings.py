"""manage.py compact_standings [--competition ID]"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from competitions.models import Competition
from competitions.services import standings_compact_all


class Command(BaseCommand):
    help = ("Merge each finished month of daily standings into one partition (PostgreSQL; what the monthly "
            "Celery beat job does), in-process.")

    def add_arguments(self, parser):
        parser.add_argument("--competition", type=int, default=None, help="default: every competition")

    def handle(self, *args, competition, **options):
        if competition is not None and not Competition.objects.filter(pk=competition).exists():
            raise CommandError(f"competition {competition} does not exist")
        skipped = []
        merged = standings_compact_all(competition_ids=None if competition is None else [competition])
        for competition_id, months in merged.items():
            if months is None:
                skipped.append(competition_id)
                continue
            listed = ", ".join(f"{m:%Y-%m}" for m in months) or "nothing to merge"
            self.stdout.write(f"competition {competition_id}: {listed}")
        if skipped:
            raise CommandError(f"skipped (a standings run holds the lock): competitions {skipped}")

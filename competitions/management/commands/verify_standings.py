"""manage.py verify_standings [--competition ID] [--day YYYY-MM-DD | --latest | --all-days]"""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from competitions.models import Competition, StandingDay, VerificationOutcome
from competitions.verify import summary, verify_day

# The exit status when a day does not verify (a mismatch, or a check that could not run): scripts and
# monitoring tell it from success (0) and from a usage error (CommandError's 1).
NOT_VERIFIED = 3


class Command(BaseCommand):
    help = ("Recompute published standings days from the raw entries, as of the change-log position they were "
            "published at, and check them against the stored rows, the digest ledger and its chain. "
            f"Exit status {NOT_VERIFIED} when a day does not verify.")

    def add_arguments(self, parser):
        parser.add_argument("--competition", type=int, default=None,
                            help="one competition (default: every competition with published standings)")
        which = parser.add_mutually_exclusive_group()
        which.add_argument("--day", type=date.fromisoformat, default=None, help="YYYY-MM-DD")
        which.add_argument("--latest", action="store_true", help="each competition's latest day (the default)")
        which.add_argument("--all-days", action="store_true", help="every published day")

    def handle(self, *args, competition, day, latest, all_days, **options):
        days = StandingDay.objects.order_by("competition_id", "day")
        if competition is not None:
            if not Competition.objects.filter(pk=competition).exists():
                raise CommandError(f"competition {competition} does not exist")
            days = days.filter(competition_id=competition)
        if day is not None:
            pairs = [(c, day) for c in ([competition] if competition is not None
                                        else days.filter(day=day).values_list("competition_id", flat=True))]
        elif all_days:
            pairs = list(days.values_list("competition_id", "day"))
        else:
            pairs = list(days.order_by("competition_id", "-day").distinct("competition_id")
                         .values_list("competition_id", "day"))
        if not pairs:
            raise CommandError("no published standings day to verify")
        failed = 0
        for competition_id, verified_day in pairs:
            check = verify_day(competition_id=competition_id, day=verified_day, trigger="command")
            style = self.style.SUCCESS if check.outcome == VerificationOutcome.OK else self.style.ERROR
            self.stdout.write(style(summary(check)))
            for difference in check.differences:
                self.stdout.write(f"  {difference}")
            if check.error:
                self.stdout.write(f"  {check.error.strip().splitlines()[-1]}")
            failed += check.outcome != VerificationOutcome.OK
        if failed:
            raise CommandError(f"{failed} of {len(pairs)} days did not verify", returncode=NOT_VERIFIED)
        self.stdout.write(f"{len(pairs)}/{len(pairs)} verified")

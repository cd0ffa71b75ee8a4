"""manage.py normalise_employee_numbers [--apply]"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from members.employee_numbers import employee_numbers_normalise, shown


class Command(BaseCommand):
    help = ("Workers' employee numbers stored in a form no typed lookup finds (full-width characters, a space, "
            "an invisible character): list the number each names and the ones that collide with another "
            "worker's (the same number, or one that differs only by case) for union staff to resolve. "
            "A dry run unless --apply; with --apply, rewrites those that do not collide (and the worker's "
            "login named after the number). Safe to run again.")

    def add_arguments(self, parser):
        parser.add_argument("--apply", action="store_true", help="rewrite (default: report only)")

    def handle(self, *args, apply, **options):
        result = employee_numbers_normalise(apply=apply)
        bad = len(result.rewrites) + len(result.conflicts)
        self.stdout.write(f"{bad} of {result.scanned} workers have an employee number not in the stored form "
                          "(letters, digits and '-').")
        verb = "Rewritten" if result.applied else "To rewrite (dry run: run again with --apply)"
        self.stdout.write(f"{verb}: {len(result.rewrites)}")
        for rewrite in result.rewrites:
            account = f"\tlogin {rewrite.account_id} renamed too" if rewrite.account_id else ""
            self.stdout.write(f"  worker {rewrite.worker_id}\t{shown(rewrite.old)} -> {rewrite.new}{account}")
        style = self.style.WARNING if result.conflicts else self.style.SUCCESS
        self.stdout.write(style(f"Left for union staff to resolve: {len(result.conflicts)}"))
        for conflict in result.conflicts:
            self.stdout.write(f"  worker {conflict.worker_id}\t{shown(conflict.old)} -> {conflict.new}\t"
                              f"{conflict.reason}")

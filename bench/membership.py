"""Union membership figures at seed scale: importing 20,000 enrollment forms from Excel with every check
(target ≥ 5,000 rows/s), and approving 5,000 forms in one action, each audited (target ≤ 5 s).

    DATABASE_URL=postgres://portal:portal@127.0.0.1/portal_bench DEBUG=0 .venv/bin/python bench/membership.py

Needs seed-scale workers (``manage.py seed_demo --workers 223000 --days 30``). The demo makes most workers
members already, so the benchmark takes the first workers without a form and marks them 未入会 for the run
(as a union office's file would find them); the file is an .xlsx read, checked and written exactly as the
portal's import page does (members.membership_imports.applications_import). When it ends it deletes the
forms and events it made and puts the workers' status and date of joining back as they were (``--keep``
to keep them); the membership-number sequences stay advanced (numbers are never reused).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

from members.membership import applications_approve  # noqa: E402
from members.membership_imports import APPLICATIONS, applications_import  # noqa: E402
from members.models import (  # noqa: E402
    MembershipApplication,
    MembershipEvent,
    MembershipStatus,
    User,
    Worker,
)


def say(label, value):
    print(f"{label:<58} {value}", flush=True)


def forms_xlsx(workers) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("入会申请")
    sheet.append(list(APPLICATIONS.columns))
    for n, (employee_no, name, id_number) in enumerate(workers):
        gender = "男" if int(id_number[16]) % 2 else "女"
        sheet.append([employee_no, name, gender, id_number, "", f"139{n:08d}", "大专", "群众", "", ""])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def clean_up(saved: list[tuple]) -> None:
    """Deletes the run's forms and events and restores each worker's (status, joined_on)."""
    worker_ids = [pk for pk, *_ in saved]
    with transaction.atomic(), connection.cursor() as cursor:
        MembershipEvent.objects.filter(worker_id__in=worker_ids).delete()
        MembershipApplication.objects.filter(worker_id__in=worker_ids).delete()
        cursor.execute(
            "UPDATE members_worker w SET membership_status = s.status, joined_on = s.joined_on "
            "FROM unnest(%s::bigint[], %s::text[], %s::date[]) AS s(id, status, joined_on) WHERE w.id = s.id",
            [worker_ids, [status for _, status, _ in saved], [joined for *_, joined in saved]])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000, help="forms in the imported file")
    parser.add_argument("--approve", type=int, default=5_000, help="forms approved in one action")
    parser.add_argument("--keep", action="store_true", help="keep the forms, events and members made")
    args = parser.parse_args()

    staff = User.objects.filter(is_superuser=True).first() or User.objects.create_superuser("bench-admin", "", "x")
    say("workers", f"{Worker.objects.count():,}")
    chosen = (Worker.objects.filter(is_active=True).exclude(membership_applications__isnull=False)
              .order_by("id")[: args.rows])
    saved = list(chosen.values_list("id", "membership_status", "joined_on"))
    ids = [pk for pk, *_ in saved]
    Worker.objects.filter(pk__in=ids).update(membership_status=MembershipStatus.NONE)
    workers = list(Worker.objects.filter(pk__in=ids).order_by("id").values_list("employee_no", "name", "id_number"))
    content = forms_xlsx(workers)
    say("forms file", f"{len(workers):,} rows, {len(content) / 1e6:.1f} MB (.xlsx)")

    try:
        started = time.perf_counter()
        count = applications_import(actor=staff, name="bench.xlsx", content=content)
        elapsed = time.perf_counter() - started
        say(f"import {count:,} forms (read, every check, write)", f"{elapsed:.2f} s = {count / elapsed:,.0f} rows/s")

        waiting = list(MembershipApplication.objects.filter(worker_id__in=ids, status="submitted")
                       .order_by("id").values_list("id", flat=True)[: args.approve])
        events_before = MembershipEvent.objects.count()
        started = time.perf_counter()
        approved = applications_approve(actor=staff, application_ids=waiting)
        elapsed = time.perf_counter() - started
        audited = MembershipEvent.objects.count() - events_before
        say(f"approve {approved:,} forms in one action ({audited:,} audit rows)", f"{elapsed:.2f} s")
        with connection.cursor() as cursor:
            cursor.execute("SELECT min(membership_no), max(membership_no) FROM members_membershipapplication "
                           "WHERE id = ANY(%s)", [waiting])
            say("membership numbers assigned", " … ".join(str(x) for x in cursor.fetchone()))
    finally:
        if not args.keep:
            clean_up(saved)


if __name__ == "__main__":
    main()

"""The digest of a published standings day and the append-only ledger that chains a competition's days."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from psycopg import sql

from competitions import services
from competitions.models import AppendOnly, RunOutcome, Standing, StandingDigest
from competitions.services import competition_delete, standings_recompute, standings_totals_day
from competitions.standings import database
from competitions.standings.digest import (
    DIGEST_COLUMNS,
    EMPTY_DIGEST,
    canonical_digest,
    canonical_text,
    chain_digest,
    day_digest,
    stored_day_digest,
)
from reviews.models import WorkEntry
from tests.competitions.standings_data import D1, D2, entry

pytestmark = pytest.mark.django_db


def python_digest(competition_id: int, day: date) -> str:
    """The day's digest recomputed here, from its rows as the ORM reads them."""
    rows = Standing.objects.filter(competition_id=competition_id, day=day).values_list(*DIGEST_COLUMNS)
    return hashlib.sha256(canonical_text(rows).encode()).hexdigest()


def test_the_digest_of_a_published_day_equals_the_one_recomputed_in_python_from_its_rows(league, f):
    comp = league["comp"]
    homeless = f.worker(f.unit(), league["jt"][0], employee_no="T007")  # under no depot: no unit rank
    entry(comp, homeless, comp.rules.get(job_type=league["jt"][0]), D1, "2.5", status="approved")

    run = standings_recompute(competition=comp, day=D1)

    stored = Standing.objects.get(competition=comp, day=D1, worker=homeless)
    assert stored.rank_unit is None and stored.points == Decimal("2.500")
    text = canonical_text(Standing.objects.filter(competition=comp, day=D1).values_list(*DIGEST_COLUMNS))
    assert f"{homeless.pk}|2.500|2.500|7|" in text and text.endswith("|\n")  # NULL as empty, the last line too
    assert len(text.splitlines()) == 7
    ledger = day_digest(comp.pk, D1)
    assert ledger.rows_digest == python_digest(comp.pk, D1) == stored_day_digest(competition_id=comp.pk, day=D1)
    assert (ledger.rows, ledger.run, ledger.previous) == (7, run, None)
    assert ledger.chain_digest == hashlib.sha256(f"|2026-03-01|{ledger.rows_digest}".encode()).hexdigest()


def test_canonical_digest_normalizes_points_to_three_decimals_and_reads_nulls_as_empty():
    source = sql.SQL("SELECT * FROM (VALUES (9, 12.5, 3, 1, 1, 1, NULL::int), (4, -1.25, 0.000, 2, 1, 2, 3)) "
                     "AS v(worker_id, points, approved_points, rank_overall, rank_business_system, rank_job_type,"
                     " rank_unit)")

    digest = database.scalar(canonical_digest(source))

    assert digest == hashlib.sha256(b"4|-1.250|0.000|2|1|2|3\n9|12.500|3.000|1|1|1|\n").hexdigest()


def test_an_empty_ranking_digests_to_the_sha256_of_nothing_and_goes_with_its_competition(f):
    comp = f.competition()

    standings_recompute(competition=comp, day=D1)

    assert day_digest(comp.pk, D1).rows_digest == EMPTY_DIGEST == hashlib.sha256(b"").hexdigest()
    competition_delete(actor=None, competition=comp)
    assert not StandingDigest.objects.filter(competition_id=comp.pk).exists()


def test_each_publication_appends_an_entry_citing_the_competitions_previous_one(league, f):
    comp, add = league["comp"], league["add"]
    other = f.competition()
    first = standings_recompute(competition=comp, day=D1)
    standings_recompute(competition=other, day=D1)
    add(4, D2, 10)
    second = standings_recompute(competition=comp, day=D2)
    # A correction of D1 (an approval), then D1 published again (a repair): a new entry, after D2's.
    WorkEntry.objects.filter(worker=league["w"][5], work_date=D1).update(status="approved", updated_at=timezone.now())
    repair = standings_recompute(competition=comp, day=D1, full=True)

    entries = list(StandingDigest.objects.filter(competition=comp).order_by("id"))

    assert [(e.day, e.run) for e in entries] == [(D1, first), (D2, second), (D1, repair)]
    assert [e.previous for e in entries] == [None, entries[0], entries[1]]
    previous = ""
    for e in entries:
        assert e.chain_digest == chain_digest(previous, e.day, e.rows_digest)
        previous = e.chain_digest
    # The days' stored rows are those of their latest publication.
    assert (entries[1].rows_digest, entries[2].rows_digest) == (python_digest(comp.pk, D2), python_digest(comp.pk, D1))
    # A day older than the base day is repaired as of its log position: the correction made since is not in
    # it, and the same rows give the same digest.
    assert entries[0].rows_digest == entries[2].rows_digest
    assert day_digest(comp.pk, D1) == entries[2]  # a day's current digest is its latest publication
    assert day_digest(comp.pk, date(2026, 3, 9)) is None
    assert StandingDigest.objects.get(competition=other).previous is None  # each competition has its own chain


def test_ledger_entries_are_never_changed_or_deleted(league):
    standings_recompute(competition=league["comp"], day=D1)
    ledger = day_digest(league["comp"].pk, D1)

    ledger.rows_digest = "0" * 64
    with pytest.raises(AppendOnly):
        ledger.save()
    with pytest.raises(AppendOnly):
        ledger.delete()
    assert StandingDigest.objects.get().rows_digest != "0" * 64


def test_the_admin_lists_published_days_with_their_digest_and_the_ledger_read_only(client, f, league,
                                                                                  django_assert_max_num_queries):
    comp, add = league["comp"], league["add"]
    standings_recompute(competition=comp, day=D1)
    add(4, D2, 10)
    standings_recompute(competition=comp, day=D2)
    client.force_login(f.user(is_staff=True, is_superuser=True))

    with django_assert_max_num_queries(12):  # one query for the days and their digests, whatever their number
        page = client.get(reverse("admin:competitions_standingday_changelist")).content.decode()

    for day in (D1, D2):
        full = day_digest(comp.pk, day).rows_digest
        assert f'value="{full}"' in page and f'title="{full}"' in page
    ledger = client.get(reverse("admin:competitions_standingdigest_changelist"))
    assert ledger.status_code == 200 and day_digest(comp.pk, D2).chain_digest in ledger.content.decode()
    entry_id = day_digest(comp.pk, D1).pk
    detail = client.post(reverse("admin:competitions_standingdigest_change", args=[entry_id]), {"rows": 1})
    assert detail.status_code == 403
    assert client.post(reverse("admin:competitions_standingdigest_delete", args=[entry_id]),
                       {"post": "yes"}).status_code == 403
    assert StandingDigest.objects.filter(pk=entry_id, rows=6).exists()


def test_a_digest_that_cannot_be_recorded_leaves_the_committed_run_succeeded(league, monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("digest unavailable")

    monkeypatch.setattr(services, "record_day", broken)

    run = standings_recompute(competition=league["comp"], day=D1)

    assert (run.outcome, run.rows) == (RunOutcome.SUCCEEDED, 6)
    assert standings_totals_day(competition_id=league["comp"].pk) == D1  # still the next run's base
    assert day_digest(league["comp"].pk, D1) is None
    assert "the day's digest was not recorded" in caplog.text

"""The admin reads in Chinese throughout, screen-reader text and the columns of the standings' ledger included."""

import re
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from competitions.models import RunKind, RunOutcome, StandingRun

pytestmark = pytest.mark.django_db


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", "\n", html)


@pytest.mark.parametrize(("url", "english"), [
    (reverse("admin:index"), ["Model name", "Add link", "Change or view list link"]),
    (reverse("admin:members_user_add"), ["After you’ve created a user"]),
    (reverse("admin:competitions_scoringrule_export"), ["Select all"]),
    (reverse("admin:competitions_standingdigest_changelist"), ["Previous id", "Run id"]),
])
def test_admin_pages_carry_no_english_leftovers(admin_client, url, english):
    text = visible_text(admin_client.get(url).content.decode())

    assert [phrase for phrase in english if phrase in text] == []


def test_a_standings_run_is_named_in_chinese_where_the_admin_shows_it(f):
    run = StandingRun.objects.create(competition=f.competition(), day=date(2026, 3, 1), kind=RunKind.FULL,
                                     requested_kind=RunKind.FULL, outcome=RunOutcome.SUCCEEDED,
                                     started_at=timezone.now())

    assert str(run) == f"#{run.pk} 2026-03-01 全量 成功"

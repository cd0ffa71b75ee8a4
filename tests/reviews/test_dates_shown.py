"""A day or a moment a person reads is written one way (config.formatting: 2026年12月3日 16:00, English
3 Dec 2026 16:00), wherever it appears: the demo's sign-off at 16:00 on the 3rd read 2026-12-03 16:00 on
the review queue beside 2026年12月7日 elsewhere. Machine values (form values, links, ids) stay ISO."""

import re
from datetime import date, datetime
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from reviews.models import PeriodStatus
from tests.factories import review_period

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "shown"), [("zh-hans", "2026年12月3日 16:00"), ("en", "3 Dec 2026 16:00")])
def test_a_signed_off_month_says_when_as_the_portal_writes_a_moment(client, w, language, shown):
    signed = timezone.make_aware(datetime(2026, 12, 3, 16, 0))
    review_period(competition=w.comp, business_system=w.system, month=date(2026, 11, 1),
                  status=PeriodStatus.SIGNED_OFF, signed_off_by=w.reviewer, signed_off_at=signed)
    client.force_login(w.reviewer)
    client.cookies["django_language"] = language
    for url in (reverse("review:queue"), reverse("review:sign_off")):
        html = client.get(url, {"system": w.system.pk, "month": "2026-11"}).content.decode()
        assert shown in html, url
        assert "2026-12-03 16:00" not in html


def test_no_template_writes_a_date_a_person_reads_with_a_raw_pattern():
    """|date:"Y-m-d" (or with a time) only where a machine reads it: a form value, a link, an id."""
    raw = re.compile(r"""\|date:(["'])Y-m-d[^"']*\1""")
    machine = re.compile(r"""(value|min|max|id|href|action)="[^"]*$""")
    found = []
    for path in TEMPLATES.rglob("*.html"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            found += [f"{path.relative_to(TEMPLATES)}:{number}" for m in raw.finditer(line)
                      if not machine.search(line[:m.start()])]
    assert found == []

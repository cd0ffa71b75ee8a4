"""The scoring-rule admin: a rule is saved with its first version, the list shows current points."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from competitions.models import ScoringRule

pytestmark = pytest.mark.django_db

ADD = reverse("admin:competitions_scoringrule_add")
CHANGELIST = reverse("admin:competitions_scoringrule_changelist")


def rule_form(comp, job, **versions):
    data = {"competition": comp.pk, "job_type": job.pk, "metric": "安全走行公里", "unit_of_measure": "公里",
            "direction": 1, "is_active": "on", "versions-INITIAL_FORMS": "0", "versions-MIN_NUM_FORMS": "1",
            "versions-MAX_NUM_FORMS": "1000", "versions-TOTAL_FORMS": str(len(versions))}
    for n, (day, points) in enumerate(versions.values()):
        data[f"versions-{n}-effective_from"] = day
        data[f"versions-{n}-points_per_unit"] = points
    return data


def test_rule_is_added_with_its_first_version(admin_client, f):
    comp, job = f.competition(), f.job_type()

    response = admin_client.post(ADD, rule_form(comp, job, v=("2026-01-01", "0.01")))

    assert response.status_code == 302
    version = ScoringRule.objects.get().versions.get()
    assert (version.effective_from, version.points_per_unit) == (date(2026, 1, 1), Decimal("0.01"))


def test_rule_without_a_version_is_refused(admin_client, f):
    response = admin_client.post(ADD, rule_form(f.competition(), f.job_type()))

    assert response.status_code == 200
    assert not ScoringRule.objects.exists()


def test_rule_changelist_shows_latest_points_in_constant_queries(admin_client, f):
    comp = f.competition()

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            response = admin_client.get(CHANGELIST)
        assert response.status_code == 200
        return len(ctx.captured_queries), response

    for _ in range(3):
        f.rule(comp, f.job_type(), points_per_unit="0.5")
    few, _ = queries()
    for _ in range(15):
        f.rule(comp, f.job_type(), points_per_unit="0.5")
    many, response = queries()

    assert many == few
    assert all(rule.latest_points == Decimal("0.5") for rule in response.context["cl"].result_list)


def test_a_new_rules_version_outside_the_competition_is_refused_on_the_form(admin_client, f):
    comp = f.competition(start=date(2026, 1, 1), end=date(2026, 12, 31))

    response = admin_client.post(ADD, rule_form(comp, f.job_type(), v=("2027-01-01", "1")))

    assert response.status_code == 200
    assert "生效日期必须在竞赛期间内。" in response.content.decode()
    assert not ScoringRule.objects.exists()


def test_a_new_rules_version_in_a_signed_off_month_is_refused_on_the_form(admin_client, f):
    comp, job = f.competition(start=date(2026, 1, 1), end=date(2026, 12, 31)), f.job_type()
    f.review_period(competition=comp, business_system=job.business_system, month=date(2026, 3, 1),
                    status="signed_off")

    response = admin_client.post(ADD, rule_form(comp, job, later=("2026-04-01", "2"), v=("2026-03-10", "1")))

    assert response.status_code == 200
    assert "2026年3月 已签发锁定，新标准不能从该月或更早生效" in response.content.decode()
    assert not ScoringRule.objects.exists()


def test_two_versions_from_the_same_day_are_refused_in_words(admin_client, f):
    comp = f.competition(start=date(2026, 1, 1), end=date(2026, 12, 31))

    response = admin_client.post(ADD, rule_form(comp, f.job_type(), a=("2026-02-01", "1"), b=("2026-02-01", "2")))

    assert response.status_code == 200
    html = response.content.decode()
    assert "生效日期重复：同一计分规则每个生效日期只能有一个版本。" in html
    assert "的重复数据" not in html  # Django's own, naming the field by its code: 请修改effective_from的重复数据
    assert not ScoringRule.objects.exists()

"""The competition admin: what union staff may set as a competition's dates."""

from datetime import date

import pytest
from django.urls import reverse

from competitions.models import Competition, Organizer

pytestmark = pytest.mark.django_db


def competition_form(**changes):
    organizer = Organizer.objects.get_or_create(name="北京市总工会")[0]
    return {"name": "劳动竞赛", "organizers": [organizer.pk], "start_date": "2026-01-01", "end_date": "2026-12-31",
            "status": "active", "description": "", **changes}


def test_a_competition_dated_from_the_first_day_of_the_calendar_is_saved(admin_client):
    response = admin_client.post(reverse("admin:competitions_competition_add"),
                                 competition_form(start_date="0001-01-01"))

    assert response.status_code == 302
    assert Competition.objects.get().start_date == date(1, 1, 1)


@pytest.fixture
def entered(f):
    """A competition of 2026 whose one entry is dated 10 March, priced by a version in force from 1 January."""
    from reviews.services import entry_create

    comp, depot = f.competition(start=date(2026, 1, 1), end=date(2026, 12, 31)), f.depot()
    job = f.job_type()
    worker, rule = f.worker(depot, job), f.rule(comp, job)
    entry_create(actor=f.clerk(depot), competition=comp, worker_id=worker.pk, rule_id=rule.pk,
                 work_date=date(2026, 3, 10), quantity=5)
    return comp


def change(admin_client, comp, **dates):
    url = reverse("admin:competitions_competition_change", args=[comp.pk])
    return admin_client.post(url, competition_form(name=comp.name, **dates))


def test_new_dates_that_would_leave_entries_outside_the_competition_are_refused(admin_client, entered):
    response = change(admin_client, entered, start_date="2026-01-01", end_date="2026-02-28")

    assert response.status_code == 200
    page = response.content.decode()
    assert "该竞赛已有录入，工作日期最早 2026年3月10日、最晚 2026年3月10日；竞赛期间须包含这些日期。" in page
    entered.refresh_from_db()
    assert (entered.start_date, entered.end_date) == (date(2026, 1, 1), date(2026, 12, 31))


def test_a_later_start_that_would_leave_a_rule_version_before_it_says_which_dates(admin_client, entered):
    response = change(admin_client, entered, start_date="2026-03-01", end_date="2026-12-31")

    assert response.status_code == 200
    assert "该竞赛有计分标准版本在新的竞赛期间之外生效（最早 2026年1月1日，最晚 2026年1月1日）" in response.content.decode()
    entered.refresh_from_db()
    assert entered.start_date == date(2026, 1, 1)


def test_new_dates_that_still_hold_the_entries_and_versions_are_saved(admin_client, entered):
    response = change(admin_client, entered, start_date="2025-12-01", end_date="2027-03-31")

    assert response.status_code == 302
    entered.refresh_from_db()
    assert (entered.start_date, entered.end_date) == (date(2025, 12, 1), date(2027, 3, 31))


def test_an_organizer_of_a_competition_is_not_deleted(admin_client, f):
    comp = f.competition()
    organizer = comp.organizers.get()
    url = reverse("admin:competitions_organizer_delete", args=[organizer.pk])

    page = admin_client.get(url).content.decode()
    admin_client.post(url, {"post": "yes"})
    admin_client.post(reverse("admin:competitions_organizer_changelist"),
                      {"action": "delete_selected", "_selected_action": [organizer.pk], "post": "yes"})

    # Deleting it used to take it off the competition, which was left with no organizer.
    assert f"劳动竞赛: {comp.name}" in page
    assert list(comp.organizers.all()) == [organizer]


def test_an_organizer_of_no_competition_is_deleted(admin_client):
    organizer = Organizer.objects.create(name="天津市总工会")

    admin_client.post(reverse("admin:competitions_organizer_delete", args=[organizer.pk]), {"post": "yes"})

    assert not Organizer.objects.filter(pk=organizer.pk).exists()


@pytest.mark.parametrize("name", ["\u200b", "\ufeff\u200b\u3000", " \u202e "])
def test_a_competition_named_only_by_invisible_characters_is_refused(admin_client, name):
    response = admin_client.post(reverse("admin:competitions_competition_add"), competition_form(name=name))

    assert response.status_code == 200
    assert "不能只有空白或不可见的字符。" in response.content.decode()
    assert not Competition.objects.exists()


def test_a_metric_of_invisible_characters_is_refused_by_the_import(f):
    import tablib

    from competitions.resources import ScoringRuleResource
    from members.resources import import_problems

    comp = f.competition(name="竞赛甲")
    f.job_type(code="JT-A")
    dataset = tablib.Dataset(["竞赛甲", "JT-A", "\u200b", "件", "加分", "1", "", "2026-01-01"],
                             headers=["劳动竞赛", "工种编码", "量化指标", "计量单位", "加/扣分", "每单位积分", "每日上限",
                                      "生效日期"])
    resource = ScoringRuleResource()

    result = resource.import_data(dataset, dry_run=False)

    assert "第1行 量化指标：不能只有空白或不可见的字符。" in import_problems(result, resource)
    assert not comp.rules.exists()

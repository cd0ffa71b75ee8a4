"""A worker's own entries, day by day, and disputes from them."""

from datetime import timedelta

import pytest
from django.urls import reverse

from reviews.models import Dispute, WorkEntry
from reviews.services import dispute_answer
from tests.competitions import portal_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def made(w):
    return portal_data.build(w)


@pytest.fixture
def alice(client, w):
    client.force_login(w.alice_user)
    return client


def page(client, query="") -> str:
    response = client.get(reverse("my_entries") + query)
    assert response.status_code == 200
    return response.content.decode()


def test_my_entries_show_every_day_with_status_points_and_days_without_entries(alice, w, made, today):
    html = page(alice)
    d3, d2, d1 = portal_data.days()
    for day in (today, d1, d2, d3, today - timedelta(days=6)):
        assert f'id="day-{day.isoformat()}"' in html
    assert f'id="entry-{made["alice_d1"].pk}"' in html and "待审核" in html and "已通过" in html
    assert "当天无录入" in html  # today, and the days before d3
    assert f'id="entry-{made["bob_d1"].pk}"' not in html


def test_a_rejected_entry_shows_the_reviewers_reason(client, w, made, f):
    bob_user = f.worker_user(w.bob)
    client.force_login(bob_user)
    html = page(client)
    assert "已退回" in html and "退回原因：不符合" in html


def test_a_worker_disputes_an_entry_and_sees_the_outcome(alice, w, made):
    entry = made["alice_d1"]
    response = alice.post(reverse("my_entries"), {"entry": entry.pk, "comment": "实际走行600公里"}, follow=True)
    assert "申诉已提交" in response.content.decode()
    dispute = Dispute.objects.get()
    assert dispute.entry == entry and dispute.worker == w.alice and dispute.unit == entry.unit
    dispute_answer(actor=w.clerk, dispute_id=dispute.pk, response="已核实并更正", corrected=True)
    html = page(alice)
    assert "已更正" in html and "已核实并更正" in html


def test_a_worker_disputes_a_day_with_no_entry(alice, w, made, today):
    day = today - timedelta(days=5)
    alice.post(reverse("my_entries"), {"work_date": day.isoformat(), "comment": "当天出乘但没有录入"})
    dispute = Dispute.objects.get()
    assert dispute.entry is None and dispute.work_date == day


def test_the_clerk_enters_a_disputed_day_from_the_dispute_and_comes_back_to_answer_it(alice, client, w, made,
                                                                                       today):
    # given alice's dispute about a day she has no entry
    day = today - timedelta(days=5)
    alice.post(reverse("my_entries"), {"work_date": day.isoformat(), "comment": "当天出乘但没有录入"})
    dispute = Dispute.objects.get()
    client.force_login(w.clerk)
    # when her clerk reads the disputes: the card leads to the entry form (it was a dead end: the day's
    # worker and date had to be typed again on another page)
    link = f'{reverse("entries:new")}?dispute={dispute.pk}'
    assert f'href="{link}"' in client.get(reverse("entries:disputes")).content.decode()
    html = client.get(link).content.decode()
    # then the form has her number, the day and her job type's metrics only, and says why
    assert f'value="{w.alice.employee_no}"' in html and f'value="{day.isoformat()}"' in html
    assert w.km.metric in html and w.metres.metric not in html and 'id="for-dispute"' in html
    # and saving it returns to the disputes, where it is still open to be answered
    response = client.post(reverse("entries:new"), {"worker": w.alice.employee_no, "rule": w.km.pk,
                                                     "work_date": day.isoformat(), "quantity": "300",
                                                     "dispute": dispute.pk})
    assert response.status_code == 302 and response["Location"] == reverse("entries:disputes")
    assert WorkEntry.objects.filter(worker=w.alice, work_date=day, rule=w.km).exists()
    # another unit's clerk, or an answered dispute, gets the plain form
    client.force_login(w.other_clerk)
    assert 'id="for-dispute"' not in client.get(link).content.decode()
    dispute_answer(actor=w.clerk, dispute_id=dispute.pk, response="已补录", corrected=True)
    client.force_login(w.clerk)
    html = client.get(link).content.decode()
    assert 'id="for-dispute"' not in html and f'value="{w.alice.employee_no}"' not in html
    assert link not in client.get(reverse("entries:disputes") + "?status=corrected").content.decode()


def test_the_clerk_is_told_a_disputed_entry_is_in_a_signed_off_month(alice, client, w, made, today,
                                                                      django_assert_max_num_queries):
    from config.months import month_of
    from reviews.models import EntryStatus, PeriodStatus
    from reviews.workflow import entries_transition
    from tests.factories import review_period

    # given alice's disputes: one about an entry of a month then signed off, one about a day with no entry
    locked = made["alice_d1"]
    entries_transition(actor=w.reviewer, entries=WorkEntry.objects.filter(pk=locked.pk),
                       to_status=EntryStatus.APPROVED)
    alice.post(reverse("my_entries"), {"entry": locked.pk, "comment": "少录了一趟"})
    alice.post(reverse("my_entries"), {"work_date": today.isoformat(), "comment": "当天没有录入"})
    review_period(competition=w.comp, business_system=w.system, month=month_of(locked.work_date),
                  status=PeriodStatus.SIGNED_OFF)
    client.force_login(w.clerk)
    # when the clerk reads the open disputes (the months' locks read with the disputes, not one per card)
    with django_assert_max_num_queries(12):
        html = client.get(reverse("entries:disputes")).content.decode()
    # then the card of the locked entry says it can no longer be changed, and why: before, nothing told the
    # clerk, who could answer "已更正" to a worker without being able to correct anything
    cards = html.split('<div class="card">')[1:]
    first = next(c for c in cards if "少录了一趟" in c)
    second = next(c for c in cards if "当天没有录入" in c)
    assert 'class="muted locked-month"' in first and "如需更正，请工会干部先解锁该月" in first
    assert "locked-month" not in second
    # and an entry of a month still open has no such note
    review_period(competition=w.comp, business_system=w.system, month=month_of(locked.work_date),
                  status=PeriodStatus.OPEN)
    assert "locked-month" not in client.get(reverse("entries:disputes")).content.decode()


def test_disputing_another_workers_entry_by_editing_the_form_is_not_found(alice, w, made):
    response = alice.post(reverse("my_entries"), {"entry": made["bob_d1"].pk, "comment": "试试"})
    assert response.status_code == 404
    assert not Dispute.objects.exists()


def test_query_parameters_never_show_another_workers_entries(alice, w, made):
    html = page(alice, f"?worker={w.bob.pk}&worker_id={w.bob.pk}&employee_no={w.bob.employee_no}")
    assert f'id="entry-{made["bob_d1"].pk}"' not in html and f'id="entry-{made["alice_d1"].pk}"' in html


def test_older_days_are_one_link_away(alice, w, made, today):
    html = page(alice, f"?end={(today - timedelta(days=20)).isoformat()}")
    assert f'id="day-{(today - timedelta(days=20)).isoformat()}"' in html
    assert f'id="day-{today.isoformat()}"' not in html
    assert "较近的日期" in html


def test_my_entries_take_the_same_queries_for_a_few_or_many_entries_and_disputes(alice, w, made, today):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reviews.services import dispute_open
    from tests.competitions.standings_data import entry

    def count():
        with CaptureQueriesContext(connection) as ctx:
            page(alice)
        return len(ctx.captured_queries)

    few = count()
    for n in range(4, 14):
        day = today - timedelta(days=n)
        entry(w.comp, w.alice, w.km, day, 100, points=1)
        entry(w.comp, w.alice, w.trips, day, 1, points=2, status="rejected")
        dispute_open(actor=w.alice_user, work_date=day, comment="核对")
    assert count() == few


def test_a_refused_dispute_says_why_as_one_form_in_the_pages_language(alice, w, made, today):
    # one form, not a file's rows: no "第1行", and in English no Chinese field label or message
    entry = made["alice_d1"]
    cases = [({"entry": entry.pk, "comment": " "}, "请填写申诉内容。", "Say what is wrong."),
             ({"entry": entry.pk, "work_date": (entry.work_date - timedelta(days=1)).isoformat(), "comment": "x"},
              "工作日期与所申诉的录入不一致", "The work date is not the date of the entry disputed")]
    for data, chinese, english in cases:
        html = alice.post(reverse("my_entries"), data, follow=True).content.decode()
        assert chinese in html and "第1行" not in html
        alice.post(reverse("set_language"), {"language": "en", "next": "/"})
        html = alice.post(reverse("my_entries"), data, follow=True).content.decode()
        assert english in html and "Row 1" not in html and "工作日期" not in html
        alice.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert not Dispute.objects.exists()

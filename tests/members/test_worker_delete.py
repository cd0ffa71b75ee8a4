"""Deleting a worker in the admin: a worker whose records keep them (entries, disputes, membership history,
nominations: on_delete=PROTECT) is refused with what keeps them and what to do instead (untick 在职), one
by one and as a bulk action; a worker with nothing is deleted as before."""

from datetime import date

import pytest
from django.urls import reverse

from members.models import Worker
from tests.competitions.standings_data import entry

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 2)


@pytest.fixture
def superuser(f):
    return f.user(is_staff=True, is_superuser=True)


@pytest.fixture
def worked(f):
    """A worker with three entries."""
    comp, worker = f.competition(), f.worker()
    rule = f.rule(comp, worker.job_type)
    for day in (1, 2, 3):
        entry(comp, worker, rule, date(2026, 3, day), 2)
    return worker


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_a_superuser_deleting_a_worker_with_entries_is_told_why_not_and_to_mark_them_as_left(
        client, superuser, worked):
    client.force_login(superuser)

    response = client.get(reverse("admin:members_worker_delete", args=[worked.pk]), follow=True)

    [message] = messages_of(response)
    assert f"职工 {worked} 有工作量录入 3 条，不能删除" in message and "取消勾选“在职”，标记为离职" in message
    assert response.redirect_chain[-1][0] == reverse("admin:members_worker_change", args=[worked.pk])
    assert "无权删除" not in response.content.decode()
    # a POST straight to the confirmation deletes nothing either
    client.post(reverse("admin:members_worker_delete", args=[worked.pk]), {"post": "yes"})
    assert Worker.objects.filter(pk=worked.pk).exists()


def test_the_bulk_delete_is_refused_as_a_whole_naming_who_keeps_their_records(client, f, superuser, worked):
    idle = f.worker()
    client.force_login(superuser)
    changelist = reverse("admin:members_worker_changelist")

    for confirmed in ({}, {"post": "yes"}):
        response = client.post(changelist, {"action": "delete_selected", "_selected_action": [worked.pk, idle.pk],
                                            **confirmed}, follow=True)
        [message] = messages_of(response)
        assert "所选职工中有 1 人有录入等记录，不能删除，本次没有删除任何职工" in message
        assert f"{worked}（工作量录入 3 条）" in message and str(idle) not in message
        assert "无权删除" not in response.content.decode()
    assert Worker.objects.filter(pk__in=[worked.pk, idle.pk]).count() == 2


def test_a_worker_with_no_records_is_still_deleted_one_by_one_and_in_bulk(client, f, superuser):
    one, two, three = f.worker(), f.worker(), f.worker()
    client.force_login(superuser)
    page = client.get(reverse("admin:members_worker_delete", args=[one.pk]))
    assert page.status_code == 200 and "无权删除" not in page.content.decode()
    client.post(reverse("admin:members_worker_delete", args=[one.pk]), {"post": "yes"})
    client.post(reverse("admin:members_worker_changelist"),
                {"action": "delete_selected", "_selected_action": [two.pk, three.pk], "post": "yes"})
    assert not Worker.objects.filter(pk__in=[one.pk, two.pk, three.pk]).exists()


def test_the_kept_records_are_counted_in_one_query_whatever_the_number_of_workers(
        f, worked, django_assert_num_queries):
    others = [f.worker() for _ in range(5)]
    with django_assert_num_queries(1):
        kept = Worker.objects.filter(pk__in=[worked.pk, *(w.pk for w in others)]).kept_records()
    assert kept == {worked.pk: [("工作量录入", 3)]}

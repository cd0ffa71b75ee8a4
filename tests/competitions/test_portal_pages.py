"""The worker's pages: my page and the leaderboards."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from competitions import views
from members.models import Worker
from reviews.models import WorkEntry
from tests.competitions import portal_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def ranked(w):
    portal_data.add_drivers(w, 2)
    return portal_data.build(w)


@pytest.fixture
def alice(client, w):
    client.force_login(w.alice_user)
    return client


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_my_page_shows_points_approved_and_pending_four_ranks_with_change_gap_and_computed_time(alice, w, ranked):
    page = text(alice.get(reverse("me")))
    # alice: 3 + 6 + 9 approved, 5 pending; third overall behind two drivers with 20.x points a day.
    assert re.search(r'id="my-points".*?<b>23.000</b>', page, re.S)
    assert "已审核 18.000" in page and "待审核 5.000" in page
    for scope in ("overall", "business_system", "job_type", "unit"):
        assert f'id="rank-{scope}"' in page
    assert "第 3 名" in page
    assert "距总排名上一名还差" in page
    assert 'id="computed-at"' in page and "计算于" in page
    # Per rule: km 1700 (300 + 900 + 500) and trips 3.
    assert "1,700.0 公里" in page and "3 趟" in page
    # The chart is inline SVG with both lines, no script and no external file.
    assert "<svg" in page and 'class="points"' in page and 'class="rank"' in page
    main = page.split("<main>")[1]
    assert "<script" not in main and "http" not in main
    # The page's only script is the portal's own file (the language switch), loaded in the head.
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/portal/portal.js" defer>']


def test_my_page_says_when_the_totals_per_metric_moved_on_since_the_standings_run(alice, w, ranked):
    # given the page right after the run: the totals per metric add up to the card's points, no note
    assert 'id="totals-changed"' not in text(alice.get(reverse("me")))
    # when alice's pending day is approved and another day rejected before the next run
    WorkEntry.objects.filter(pk=ranked["alice_d1"].pk).update(status="approved")
    # then the card still shows the run's split (18 approved + 5 pending) and the page says why the table,
    # as the entries stand now (23 approved), differs from it
    page = text(alice.get(reverse("me")))
    assert "已审核 18.000" in page and 'id="totals-changed"' in page
    WorkEntry.objects.filter(pk=ranked["alice_d3"].pk).update(status="rejected", reject_reason="不符合")
    assert 'id="totals-changed"' in text(alice.get(reverse("me")))


def test_my_page_shows_the_rank_change_since_yesterday(alice, w, f):
    d3, d2, d1 = portal_data.days()
    from tests.competitions.standings_data import entry
    entry(w.comp, w.bob, w.km, d3, 500, points=5)
    entry(w.comp, w.alice, w.km, d3, 100, points=1)
    entry(w.comp, w.alice, w.km, d1, 900, points=9)
    portal_data.rank(w)
    page = text(alice.get(reverse("me")))
    assert "↑1" in page  # second yesterday, first today


def test_my_page_before_any_standings_says_so(alice, w):
    assert "还没有您的排名" in text(alice.get(reverse("me")))


def test_the_job_type_leaderboard_lists_only_my_job_type_and_masks_other_names(alice, w, ranked):
    page = text(alice.get(reverse("leaderboard") + "?scope=job_type"))
    assert 'id="me-row"' in page and "张三明" in page
    assert "李*" in page and "李四" not in page  # bob, masked
    assert "周*平" in page and "周0平" not in page
    assert "王" not in page.split('id="board"')[1]  # carol drives no locomotive


@pytest.mark.parametrize("scope", ["overall", "business_system", "job_type", "unit"])
def test_every_scope_finds_me(alice, w, ranked, scope):
    page = text(alice.get(reverse("leaderboard") + f"?scope={scope}"))
    assert 'id="me-row"' in page and 'id="not-ranked"' not in page


def test_a_worker_not_ranked_yet_is_told_so_on_the_leaderboard(client, w, f, ranked):
    client.force_login(f.worker_user(f.worker(w.workshop, w.driver, name="新来")))
    page = text(client.get(reverse("leaderboard")))
    assert 'id="board"' in page and 'id="me-row"' not in page
    assert 'id="not-ranked"' in page and "您还没有排名" in page


def test_an_old_system_bookmark_still_opens_the_business_system_leaderboard(alice, w, ranked):
    old = text(alice.get(reverse("leaderboard") + "?scope=system"))
    new = text(alice.get(reverse("leaderboard") + "?scope=business_system"))
    assert 'id="me-row"' in old and old.split('id="board"')[1] == new.split('id="board"')[1]
    assert 'class="button primary" href="?scope=business_system"' in old


def test_a_query_parameter_cannot_point_a_leaderboard_at_another_scope_or_worker(alice, w, ranked):
    url = reverse("leaderboard") + f"?scope=job_type&job_type={w.track.pk}&worker={w.carol.pk}&scope_id={w.track.pk}"
    page = text(alice.get(url))
    assert 'id="me-row"' in page and "王*" not in page
    assert 'id="me-row"' in text(alice.get(reverse("leaderboard") + "?scope=nonsense"))


def test_leaderboard_pages_by_rank_after_the_top_with_the_places_around_me(alice, w, monkeypatch):
    portal_data.add_drivers(w, 12)
    portal_data.build(w)
    monkeypatch.setattr(views, "FIRST_PAGE", 5)
    monkeypatch.setattr(views, "PAGE", 5)
    first = text(alice.get(reverse("leaderboard") + "?scope=job_type"))
    assert "我附近的名次" in first and 'id="me-row"' in first
    ranks_first = re.findall(r'<tr[^>]*><td class="num">(\d+)</td>', first.split("我附近的名次")[0])
    assert ranks_first == ["1", "2", "3", "4", "5"]
    after = re.search(r'after=([^"&]+)', first).group(1)
    assert not any(d.employee_no in after for d in Worker.objects.all())  # nobody's login name in the link
    second = text(alice.get(reverse("leaderboard") + f"?scope=job_type&after={after}"))
    assert re.findall(r'<tr[^>]*><td class="num">(\d+)</td>', second) == ["6", "7", "8", "9", "10"]
    assert "我附近的名次" not in second
    # a tampered cursor, or one of another list, opens the top of the list
    for bad in (after[:-2] + "xx", "1_D00003", after.replace(".", "", 1)):
        top = text(alice.get(reverse("leaderboard") + f"?scope=job_type&after={bad}"))
        assert re.findall(r'<tr[^>]*><td class="num">(\d+)</td>', top.split("我附近的名次")[0]) == ["1", "2", "3", "4", "5"]
    overall = text(alice.get(reverse("leaderboard") + f"?scope=overall&after={after}"))
    assert re.findall(r'<tr[^>]*><td class="num">(\d+)</td>', overall)[0] == "1"


@pytest.mark.parametrize("name", ["me", "leaderboard", "my_entries"])
def test_worker_pages_are_for_workers_only(client, w, name):
    for other in (w.clerk, w.reviewer):
        client.force_login(other)
        assert client.get(reverse(name)).status_code == 403
    client.logout()
    assert client.get(reverse(name)).status_code == 302


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


# session, user, the scope (clerk units, reviewer systems, worker), competition, worker, history (one
# query: the worker's row of each day), rule totals, the run's finish time; the navigation's unread count.
ME_QUERIES = 11
# session, user, scope (3), competition, worker, latest day, my row, the top (with names), around me (2);
# the navigation's unread count.
BOARD_QUERIES = 14


def test_my_page_and_a_leaderboard_take_a_fixed_number_of_queries_for_5_or_50_rows(alice, w, monkeypatch):
    """Five drivers ranked vs fifty: the same queries (the first page shows 3 at the top, then the
    places around alice, so both paths of the page run in both cases)."""
    monkeypatch.setattr(views, "FIRST_PAGE", 3)
    portal_data.add_drivers(w, 5)
    portal_data.build(w)
    board = reverse("leaderboard") + "?scope=job_type"
    small = (_queries(alice, reverse("me")), _queries(alice, board))
    portal_data.add_drivers(w, 45, start=5)
    portal_data.rank(w)
    large = (_queries(alice, reverse("me")), _queries(alice, board))
    assert small == large == (ME_QUERIES, BOARD_QUERIES)


def test_page_sizes_stay_small(alice, w, ranked, capsys):
    portal_data.add_drivers(w, 40, start=2)
    portal_data.rank(w)
    sizes = {name: len(alice.get(url).content) for name, url in [
        ("me", reverse("me")), ("leaderboard", reverse("leaderboard") + "?scope=overall"),
        ("my_entries", reverse("my_entries"))]}
    with capsys.disabled():
        print(f"\nHTML bytes: {sizes}")
    assert all(size < 30_000 for size in sizes.values()), sizes


def test_a_worker_moved_to_another_depot_sees_the_depot_they_are_ranked_in_until_the_next_run(alice, w, ranked):
    # given alice moved to the other depot after the last standings run (her ranks are still her old depot's)
    Worker.objects.filter(pk=w.alice.pk).update(unit=w.other_depot)
    # then her page's ranks and the depot leaderboard name the depot of the ranking shown, not the new one
    me, board = text(alice.get(reverse("me"))), text(alice.get(reverse("leaderboard") + "?scope=unit"))
    assert f"站段 · {w.depot.name}</span>" in me and f"站段 · {w.other_depot.name}" not in me
    assert f"站段 · {w.depot.name}</span></h1>" in board and f"站段 · {w.other_depot.name}" not in board


def test_a_moved_workers_row_in_a_list_names_the_depot_and_job_type_they_are_ranked_in(alice, w, ranked, f):
    # given alice moved to the other depot and job type after the last standings run
    Worker.objects.filter(pk=w.alice.pk).update(unit=w.other_depot, job_type=f.job_type(name="线路工"))
    board = text(alice.get(reverse("leaderboard") + "?scope=unit"))
    # then her row in her old depot's list reads that depot and her old job type, as the staff's list of the
    # day and her own page do (it said the new depot, inside the old depot's list)
    row = re.search(r'<tr class="me" id="me-row">.*?</tr>', board, re.S).group(0)
    assert w.depot.name in row and w.km.job_type.name in row
    assert "线路工" not in row

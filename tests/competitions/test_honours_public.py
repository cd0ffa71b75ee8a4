"""The 公示 pages (/honours/): the public lists, an objection, my objections, my honours, for every role."""

import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from competitions.honours import services
from competitions.honours.models import Nominee, Objection
from config.formatting import display_date
from tests.competitions import honours_public_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def h(w, f):
    return honours_public_data.build(w, f)


@pytest.fixture
def accounts(w, h):
    return {"worker": w.alice_user, "clerk": w.clerk, "reviewer": w.reviewer, "staff": w.staff,
            "other_competition": h.dave_user}


def page(client, url, user=None, status=200) -> str:
    if user is not None:
        client.force_login(user)
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


def round_url(round_) -> str:
    return reverse("honours_public:public_round", args=[round_.pk])


# -- who may open what -----------------------------------------------------------------------------

def test_anonymous_is_sent_to_login_from_every_page(client, h):
    for url in (reverse("honours_public:public_lists"), round_url(h.publicized), reverse("honours_public:my_objections"),
                reverse("honours_public:my_honours")):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url
    response = client.post(round_url(h.publicized), {"nominee": h.bob_on.pk, "reason": "x"})
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert not Objection.objects.exists()


@pytest.mark.parametrize("role", ["worker", "clerk", "reviewer", "staff"])
def test_everyone_taking_part_sees_the_lists_in_publicity_and_the_final_ones(client, accounts, h, role):
    html = page(client, reverse("honours_public:public_lists"), accounts[role])
    assert f'id="round-{h.publicized.pk}"' in html and f'id="round-{h.finalized.pk}"' in html
    # A draft and a shortlist are the committee's, on the public page for staff too; another competition's
    # list is not this competition's.
    for hidden in (h.draft, h.shortlisted, h.other):
        assert f'id="round-{hidden.pk}"' not in html
    # The list in 公示 comes first.
    assert html.index(f'id="round-{h.publicized.pk}"') < html.index(f'id="round-{h.finalized.pk}"')
    html = page(client, round_url(h.publicized))
    assert "张三明" in html and "李四" in html


@pytest.mark.parametrize("role", ["worker", "clerk", "reviewer"])
def test_a_draft_a_shortlist_and_another_competitions_list_answer_404(client, accounts, h, role):
    client.force_login(accounts[role])
    for hidden in (h.draft, h.shortlisted, h.other):
        assert client.get(round_url(hidden)).status_code == 404, hidden.name
    assert client.get("/honours/999999999/").status_code == 404


def test_staff_read_drafts_on_the_staff_pages_not_on_the_public_one(client, w, h):
    client.force_login(w.staff)
    assert client.get(round_url(h.draft)).status_code == 404
    assert client.get(round_url(h.shortlisted)).status_code == 404
    assert client.get(round_url(h.other)).status_code == 200  # staff see every competition's public lists


def test_a_worker_of_another_competition_sees_only_their_own_competitions_list(client, h):
    client.force_login(h.dave_user)
    assert client.get(round_url(h.publicized)).status_code == 404
    assert client.get(round_url(h.finalized)).status_code == 404
    html = page(client, round_url(h.other))
    assert "赵六" in html


def test_my_honours_is_a_workers_page(client, accounts):
    for role in ("clerk", "reviewer", "staff"):
        client.force_login(accounts[role])
        assert client.get(reverse("honours_public:my_honours")).status_code == 403, role


@pytest.mark.parametrize("role", ["worker", "clerk", "reviewer", "staff"])
def test_the_nav_shows_public_notice_once_for_every_role(client, accounts, role, w):
    html = page(client, reverse("honours_public:public_lists"), accounts[role])
    nav = html.split("<nav")[1].split("</nav>")[0]
    assert nav.count(">公示<") == 1
    assert re.search(r'href="/honours/" class="on">公示<', nav)


def test_a_person_with_several_roles_sees_public_notice_once(client, w, h):
    w.alice_user.clerk_units.add(w.depot)
    w.alice_user.reviewer_systems.add(w.system)
    html = page(client, reverse("honours_public:public_lists"), w.alice_user)
    assert html.split("<nav")[1].split("</nav>")[0].count(">公示<") == 1


# -- what a list shows -----------------------------------------------------------------------------

def test_a_list_in_publicity_shows_names_numbers_units_job_type_points_window_and_digest(client, w, h):
    html = page(client, round_url(h.publicized), w.clerk)
    alice = html.split(f'id="nominee-{h.alice_on.pk}"')[1].split("</li>")[0]
    assert "第 1 名" in alice and "张三明" in alice and w.alice.employee_no in alice
    assert "北京机务段" in alice and "运用车间" in alice and "电力机车司机" in alice and "180.5" in alice
    assert "李四" in html and w.bob.employee_no in html
    # Someone the committee took off the list is not on it.
    assert "王五" not in html and f'id="nominee-{h.carol_off.pk}"' not in html
    # The window, the days left (six days and three hours: 7), the basis period, the snapshot's digest.
    assert "还剩 7 天" in html and "公示期：" in html
    assert f"评选依据：{display_date(h.publicized.basis_start)} 至 {display_date(h.publicized.basis_end)}" in html
    assert f'<code class="digest" id="digest">{honours_public_data.DIGEST}</code>' in html
    # 公示 needs full names; it never needs an ID number or a phone.
    for worker in (w.alice, w.bob):
        assert worker.id_number not in html and worker.mobile not in html
    # Only the portal's own script.
    assert "<script" not in html.split("<main>")[1] and " style=" not in html


def test_a_list_ranked_in_quota_groups_heads_each_groups_places_with_its_name(client, w, f, h):
    # given a list in 公示 ranked per business system: alice and bob first and second of 机务, and carol's
    # colleague first of 工务 (places start again at 1 in each group)
    track = f.worker(w.other_depot, w.track, name="赵工务")
    colleague = honours_public_data.nominee(h.publicized, track, 4, "170", group="工务")
    Nominee.objects.filter(pk=colleague.pk).update(rank=1)
    # when a worker reads it
    html = page(client, round_url(h.publicized), w.alice_user)
    # then each group's name heads its places, once: before, "第 1 名" came again in the middle of the list
    # with nothing to say a new group began
    listed = html.split('id="nominees"')[1].split("</ol>")[0]
    headings = re.findall(r'<li class="group-heading"><h2>([^<]+)</h2></li>', listed)
    assert headings == ["机务", "工务"]
    assert listed.index("机务</h2>") < listed.index("张三明") < listed.index("李四") < listed.index(
        "工务</h2>") < listed.index("赵工务")
    # a list without groups has no headings
    assert "group-heading" not in page(client, round_url(h.finalized))


def test_a_final_list_shows_the_final_names_and_offers_no_objection(client, w, h):
    html = page(client, round_url(h.finalized), w.alice_user)
    assert "张三明" in html and "李四" in html and "已定稿" in html
    assert "我有异议" not in html and 'name="reason"' not in html
    assert "还剩" not in html


def test_the_list_pages_by_position_and_a_forged_cursor_shows_the_first_page(client, w, h, monkeypatch):
    from competitions.honours import public_views

    monkeypatch.setattr(public_views, "NOMINEES_PAGE", 1)
    client.force_login(w.alice_user)
    first = page(client, round_url(h.publicized))
    assert "张三明" in first and "李四" not in first
    next_link = re.search(r'href="\?after=([^"]+)"', first).group(1)
    second = page(client, f"{round_url(h.publicized)}?after={next_link}")
    assert "李四" in second and "张三明" not in second
    assert "张三明" in page(client, f"{round_url(h.publicized)}?after=forged.cursor")
    # A cursor of another list is refused by this one.
    other = page(client, f"{round_url(h.finalized)}?after={next_link}")
    assert "张三明" in other


def test_the_pages_make_a_pinned_number_of_queries_whatever_the_length_of_the_list(client, w, f, h,
                                                                                   django_assert_num_queries):
    # The session, the account, the role scope (three); then the page's own: the round, its nominees and
    # the viewer's open objections; the rounds; the objections; the honours. And the navigation's unread count.
    pages = {round_url(h.publicized): 9, reverse("honours_public:public_lists"): 8,
             reverse("honours_public:my_objections"): 7, reverse("honours_public:my_honours"): 7}
    client.force_login(w.alice_user)
    for url, queries in pages.items():
        with django_assert_num_queries(queries):
            page(client, url)
    for position in range(4, 64):
        worker = f.worker(w.workshop, w.driver)
        honours_public_data.nominee(h.publicized, worker, position, "10")
        services.raise_objection(user=w.alice_user, nominee=h.publicized.nominees.get(worker=worker), reason="核实")
    for url, queries in pages.items():
        with django_assert_num_queries(queries):
            html = page(client, url)
    html = page(client, round_url(h.publicized))
    assert html.count('class="card nominee"') == 62 and html.count("等待答复") == 60


# -- objections ------------------------------------------------------------------------------------

def test_a_worker_raises_an_objection_sees_it_pending_and_then_the_answer(client, w, h):
    client.force_login(w.alice_user)
    response = client.post(round_url(h.publicized), {"nominee": h.bob_on.pk, "reason": "  李四三月有扣分记录。 "},
                           follow=True)
    html = response.content.decode()
    assert "异议已提交" in html
    assert "您已对此人选提出异议，等待答复" in html.split(f'id="nominee-{h.bob_on.pk}"')[1].split("</li>")[0]
    objection = Objection.objects.get()
    assert (objection.nominee_id, objection.raised_by_id, objection.reason) == (h.bob_on.pk, w.alice_user.pk,
                                                                               "李四三月有扣分记录。")
    mine = page(client, reverse("honours_public:my_objections"))
    assert "李四三月有扣分记录。" in mine and "待答复" in mine

    services.answer_objection(actor=w.staff, objection=objection, upheld=False, answer="经核实，扣分已撤销。")
    mine = page(client, reverse("honours_public:my_objections"))
    card = mine.split(f'id="objection-{objection.pk}"')[1]
    assert "异议不成立" in card and "经核实，扣分已撤销。" in card


def test_an_upheld_objection_takes_the_nominee_off_the_public_list(client, w, h):
    client.force_login(w.clerk)
    client.post(round_url(h.publicized), {"nominee": h.bob_on.pk, "reason": "资料与事实不符"})
    services.answer_objection(actor=w.staff, objection=Objection.objects.get(), upheld=True, answer="情况属实，取消提名。")
    html = page(client, round_url(h.publicized))
    assert f'id="nominee-{h.bob_on.pk}"' not in html and "张三明" in html
    assert "异议成立" in page(client, reverse("honours_public:my_objections"))


@pytest.mark.parametrize(("nominee", "reason", "message"), [
    ("bob", "", "必须填写原因"),
    ("bob", "   ", "必须填写原因"),
    ("bob", "\u200b\ufeff\u2060", "必须填写原因"),  # invisible characters only: no reason either
    ("bob", "长" * 10_000, "原因不能超过"),
    ("carol_off", "已删除的人", "名单中没有这位人选"),
    ("other", "另一个竞赛的人", "名单中没有这位人选"),
    ("final", "另一个名单的人", "名单中没有这位人选"),
    ("abc", "x", "名单中没有这位人选"),
    ("-1", "x", "名单中没有这位人选"),
    ("99999999999999999999", "x", "名单中没有这位人选"),
    ("", "x", "名单中没有这位人选"),
])
def test_bad_objections_are_refused_with_a_message_and_nothing_is_saved(client, w, h, nominee, reason, message):
    ids = {"bob": h.bob_on.pk, "carol_off": h.carol_off.pk, "other": h.dave_on.pk, "final": h.bob_final.pk}
    client.force_login(w.alice_user)
    response = client.post(round_url(h.publicized), {"nominee": ids.get(nominee, nominee), "reason": reason},
                           follow=True)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Objection.objects.exists()


def test_a_second_open_objection_to_the_same_nominee_is_refused(client, w, h):
    client.force_login(w.alice_user)
    client.post(round_url(h.publicized), {"nominee": h.bob_on.pk, "reason": "第一次"})
    response = client.post(round_url(h.publicized), {"nominee": h.bob_on.pk, "reason": "第二次"}, follow=True)
    assert "已有一条待答复的异议" in response.content.decode()
    assert Objection.objects.count() == 1


def test_an_objection_outside_the_window_is_refused_and_nothing_is_saved(client, w, h):
    # The 公示 has ended (the round still waits to be finalized): the page offers no form, a POST is refused.
    from django.utils import timezone

    from competitions.honours.models import AwardRound

    AwardRound.objects.filter(pk=h.publicized.pk).update(publicity_end=timezone.now())
    client.force_login(w.alice_user)
    html = page(client, round_url(h.publicized))
    assert 'name="reason"' not in html and "公示期已结束" in html
    response = client.post(round_url(h.publicized), {"nominee": h.bob_on.pk, "reason": "晚了"}, follow=True)
    assert "不在公示期内" in response.content.decode()
    # A final list: the same.
    response = client.post(round_url(h.finalized), {"nominee": h.bob_final.pk, "reason": "晚了"}, follow=True)
    assert "不在公示期内" in response.content.decode()
    assert not Objection.objects.exists()


def test_a_worker_of_another_competition_cannot_object_to_its_list(client, h):
    client.force_login(h.dave_user)
    assert client.post(round_url(h.publicized), {"nominee": h.bob_on.pk, "reason": "x"}).status_code == 404
    assert not Objection.objects.exists()


def test_my_objections_shows_only_ones_own(client, w, h):
    services.raise_objection(user=w.clerk, nominee=h.bob_on, reason="录入员的异议")
    services.raise_objection(user=w.alice_user, nominee=h.bob_on, reason="张三明的异议")
    html = page(client, reverse("honours_public:my_objections"), w.alice_user)
    assert "张三明的异议" in html and "录入员的异议" not in html
    assert "没有提出过异议" in page(client, reverse("honours_public:my_objections"), w.reviewer)


def test_my_objections_pages_by_id(client, w, h, monkeypatch):
    from competitions.honours import public_views

    monkeypatch.setattr(public_views, "OWN_PAGE", 1)
    first_objection = services.raise_objection(user=w.alice_user, nominee=h.bob_on, reason="第一条")
    services.answer_objection(actor=w.staff, objection=first_objection, upheld=False, answer="不成立")
    services.raise_objection(user=w.alice_user, nominee=h.bob_on, reason="第二条")
    first = page(client, reverse("honours_public:my_objections"), w.alice_user)
    assert "第二条" in first and "第一条" not in first
    after = re.search(r'href="\?after=([^"]+)"', first).group(1)
    assert "第一条" in page(client, f"{reverse('honours_public:my_objections')}?after={after}")


# -- my honours ------------------------------------------------------------------------------------

def test_my_honours_lists_the_workers_places_on_public_lists_and_final_honours(client, w, h):
    html = page(client, reverse("honours_public:my_honours"), w.alice_user)
    assert f'id="honour-{h.alice_on.pk}"' in html and f'id="honour-{h.alice_final.pk}"' in html
    final = html.split(f'id="honour-{h.alice_final.pk}"')[1].split("</div>")[0]
    assert "已获表彰" in final and "上年度先进个人" in final and w.comp.name in final
    assert "公示中" in html.split(f'id="honour-{h.alice_on.pk}"')[1].split("</div>")[0]
    # The shortlist is the committee's until published; bob's honours are bob's.
    assert f'id="honour-{h.alice_shortlisted.pk}"' not in html
    assert f'id="honour-{h.bob_final.pk}"' not in html


def test_a_worker_removed_by_an_upheld_objection_no_longer_lists_that_nomination(client, w, h):
    objection = services.raise_objection(user=w.clerk, nominee=h.alice_on, reason="不符合条件")
    services.answer_objection(actor=w.staff, objection=objection, upheld=True, answer="属实")
    html = page(client, reverse("honours_public:my_honours"), w.alice_user)
    assert f'id="honour-{h.alice_on.pk}"' not in html and f'id="honour-{h.alice_final.pk}"' in html


def test_a_worker_taken_off_the_only_list_they_were_on_is_told_they_have_no_honours(client, w, f, h):
    html = page(client, reverse("honours_public:my_honours"), f.worker_user(w.carol))
    assert "还没有进入公示名单" in html and "一季度先进个人" not in html


@pytest.mark.parametrize("url_name", ["honours_public:public_lists", "honours_public:my_objections", "honours_public:my_honours"])
def test_pages_survive_garbage_cursors(client, w, h, url_name):
    client.force_login(w.alice_user)
    for after in ("x", "'; drop table", "a" * 500, "%00", "\u202e"):
        assert client.get(reverse(url_name), {"after": after}).status_code == 200


def test_the_pages_are_behind_the_portal_gate_with_their_roles():
    from django.urls import resolve

    from config.gate import Gate

    gates = {name: resolve(reverse(f"honours_public:{name}", args=args)).func.portal_gate
             for name, args in (("public_lists", []), ("public_round", [1]), ("my_objections", []),
                                ("my_honours", []))}
    assert gates == {"public_lists": Gate(None, True), "public_round": Gate(None, False),
                     "my_objections": Gate(None, False), "my_honours": Gate(("worker",), False)}


@pytest.fixture
def back_to_chinese():
    # The locale middleware leaves the language it activated for a request active in the test's thread:
    # the tests after this one must not run in English.
    yield
    translation.activate(settings.LANGUAGE_CODE)


def test_the_pages_read_in_english_through_the_language_switch(client, w, h, back_to_chinese):
    client.force_login(w.alice_user)
    client.post(reverse("set_language"), {"language": "en", "next": "/honours/"})
    html = page(client, reverse("honours_public:public_lists"))
    assert "My objections" in html and "My honours" in html and "Days left: 7" in html and ">Public notice<" in html
    html = page(client, round_url(h.publicized))
    assert "I object" in html and "Based on approved points from" in html and "张三明" in html

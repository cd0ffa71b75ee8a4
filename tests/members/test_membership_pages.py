"""Membership pages: every role against every page, someone else's form, and what a page may print."""

import io

import pytest
from django.urls import reverse
from openpyxl import Workbook

from members import membership as services
from members.membership_imports import APPLICATIONS
from members.models import ApplicationStatus, MembershipApplication, MembershipEvent, MembershipStatus, Worker
from tests.members.membership_data import card_number, form_for, post_data
from tests.members.test_membership_imports import row_for

pytestmark = pytest.mark.django_db

ROLES = ("anon", "alice", "bob", "clerk", "other_clerk", "officer", "other_officer", "reviewer", "staff")


def _login(client, m, role):
    if role == "anon":
        return
    client.force_login({"alice": m.alice_user, "bob": m.bob_user}.get(role) or getattr(m, role))


@pytest.fixture
def alices(m):
    """Alice's form, submitted by herself (she is of the depot's workshop)."""
    return services.application_submit(actor=m.alice_user, form=form_for(m.alice))


def _expect(page, alices, m):
    """page -> (url, {role: status}); 302 is the login page, 403 the gate, 404 someone else's object."""
    mine = {"alice": 200, "bob": 200}
    office = {"officer": 200, "other_officer": 200, "staff": 200}
    desks = {**office, "clerk": 200, "other_clerk": 200}
    return {
        "my_membership": (reverse("my_membership"), mine),
        "applications": (reverse("union:applications"), desks),
        "application_new": (reverse("union:application_new"), desks),
        "application": (reverse("union:application", args=[alices.pk]),
                        {**desks, "other_clerk": 404, "other_officer": 404}),
        "member": (reverse("union:member", args=[m.alice.pk]), {**office, "other_officer": 404}),
        "import": (reverse("union:import_applications"), office),
        "import_template": (reverse("union:import_applications_template"), office),
        "import_cards": (reverse("union:import_cards"), {"staff": 200}),
        "import_cards_template": (reverse("union:import_cards_template"), {"staff": 200}),
    }[page]


PAGES = ("my_membership", "applications", "application_new", "application", "member", "import", "import_template",
         "import_cards", "import_cards_template")


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_every_role_against_every_membership_page(client, m, alices, page, role):
    url, allowed = _expect(page, alices, m)
    _login(client, m, role)
    response = client.get(url)
    if role == "anon":
        assert response.status_code == 302 and "/login/" in response.url
    else:
        assert response.status_code == allowed.get(role, 403), (page, role)


def test_a_worker_applies_on_the_phone_page_and_sees_the_return_reason_and_the_result(client, m, today):
    client.force_login(m.alice_user)
    response = client.post(reverse("my_membership"), post_data(m.alice, mobile="123"))
    assert response.status_code == 200 and "手机号应为以1开头的11位数字" in response.content.decode()
    assert not MembershipApplication.objects.exists()
    response = client.post(reverse("my_membership"), post_data(m.alice))
    assert response.status_code == 302
    application = MembershipApplication.objects.get(worker=m.alice)
    assert application.submitted_by == m.alice_user
    services.application_return(actor=m.officer, application_id=application.pk, reason="请填写职务全称")
    html = client.get(reverse("my_membership")).content.decode()
    assert "已退回" in html and "请填写职务全称" in html and 'id="apply-form"' in html
    client.post(reverse("my_membership"), post_data(m.alice, job_title="电力机车司机"))
    services.application_approve(actor=m.officer, application_id=application.pk)
    html = client.get(reverse("my_membership")).content.decode()
    application.refresh_from_db()
    assert "已批准" in html and application.membership_no in html and 'id="apply-form"' not in html


def test_a_clerk_submits_on_a_workers_behalf_but_not_for_another_units(client, m):
    client.force_login(m.clerk)
    response = client.post(reverse("union:application_new"), {**post_data(m.carol), "employee_no": m.carol.employee_no})
    assert response.status_code == 200 and "找不到该职工" in response.content.decode()
    response = client.post(reverse("union:application_new"), {**post_data(m.bob), "employee_no": m.bob.employee_no})
    application = MembershipApplication.objects.get(worker=m.bob)
    assert response.status_code == 302 and response.url == reverse("union:application", args=[application.pk])
    # the clerk follows the form but cannot decide it
    html = client.get(response.url).content.decode()
    assert 'id="approve"' not in html
    client.post(response.url, {"action": "approve"})
    assert MembershipApplication.objects.get(pk=application.pk).status == ApplicationStatus.SUBMITTED


def test_the_union_officer_returns_approves_and_records_the_history_on_the_pages(client, m, alices, today):
    client.force_login(m.other_officer)
    client.post(reverse("union:applications_approve"), {"ids": [alices.pk]})
    assert MembershipApplication.objects.get(pk=alices.pk).status == ApplicationStatus.SUBMITTED
    client.force_login(m.officer)
    url = reverse("union:application", args=[alices.pk])
    client.post(url, {"action": "return", "reason": ""})
    assert MembershipApplication.objects.get(pk=alices.pk).status == ApplicationStatus.SUBMITTED
    client.post(reverse("union:applications_approve"), {"ids": [alices.pk, "x", "99999999999999999999"]})
    assert MembershipApplication.objects.get(pk=alices.pk).status == ApplicationStatus.APPROVED
    member = reverse("union:member", args=[m.alice.pk])
    client.post(member, {"form": "event", "kind": "suspended", "on": today.isoformat(), "reason": "欠缴会费"})
    assert Worker.objects.get(pk=m.alice.pk).membership_status == MembershipStatus.SUSPENDED
    response = client.post(member, {"form": "event", "kind": "transferred", "on": today.isoformat(), "reason": "调动",
                                    "to_unit": "NOWHERE"}, follow=True)
    assert "找不到该转入单位" in response.content.decode()
    html = client.get(member).content.decode()
    assert "暂停会籍" in html and "欠缴会费" in html
    assert list(MembershipEvent.objects.filter(worker=m.alice).values_list("kind", flat=True)) == ["joined", "suspended"]


def test_approve_all_approves_every_waiting_form_the_officer_may_decide_and_no_other(client, m, f):
    mine = [f.worker(m.depot, m.driver) for _ in range(4)]
    theirs = f.worker(m.other_depot, m.track)
    for w in [*mine, theirs]:
        services.application_submit(actor=m.staff, form=form_for(w))
    client.force_login(m.officer)
    response = client.post(reverse("union:applications_approve"), {"all": "1"}, follow=True)
    assert "已批准 4 份入会申请" in response.content.decode()
    assert MembershipApplication.objects.get(worker=theirs).status == ApplicationStatus.SUBMITTED


def test_staff_import_forms_through_preview_and_confirm(client, m, f):
    workers = [f.worker(m.depot, m.driver) for _ in range(3)]
    book = Workbook()
    book.active.append(list(APPLICATIONS.columns))
    for w in workers:
        book.active.append(row_for(w))
    book.active.append(row_for(m.alice, 姓名="别人"))
    out = io.BytesIO()
    book.save(out)
    client.force_login(m.staff)
    upload = io.BytesIO(out.getvalue())
    upload.name = "forms.xlsx"
    html = client.post(reverse("union:import_applications"), {"file": upload}).content.decode()
    assert "共 4 行，正确 3 行，有问题 1 行" in html and "第 5 行" in html and "导入全部" not in html
    assert not MembershipApplication.objects.exists()
    # a file of good rows only: preview, then confirm
    book.active.delete_rows(5)
    out = io.BytesIO()
    book.save(out)
    upload = io.BytesIO(out.getvalue())
    upload.name = "forms.xlsx"
    html = client.post(reverse("union:import_applications"), {"file": upload}).content.decode()
    token = html.split('name="token" value="')[1].split('"')[0]
    response = client.post(reverse("union:import_applications"), {"token": token}, follow=True)
    assert "已导入 3 份入会申请" in response.content.decode()
    assert MembershipApplication.objects.count() == 3


def test_no_membership_page_prints_an_id_number_and_the_card_in_full_only_for_the_member_and_staff(client, m, alices):
    services.application_approve(actor=m.officer, application_id=alices.pk)
    number = card_number(7)
    services.card_issue(actor=m.staff, worker_id=m.alice.pk, number=number)
    pages = [reverse("my_membership"), reverse("union:applications") + "?status=approved",
             reverse("union:application", args=[alices.pk]), reverse("union:member", args=[m.alice.pk])]
    seen_whole = set()
    for role in ("alice", "clerk", "officer", "staff"):
        _login(client, m, role)
        for url in pages:
            response = client.get(url)
            if response.status_code != 200:
                continue
            html = response.content.decode()
            assert m.alice.id_number not in html and m.alice.mobile not in html and "13800138000" not in html, (role, url)
            # nor the birth date beside the masked number: the mask hides exactly those digits
            birth = m.alice.id_number[6:14]
            assert f"{birth[:4]}-{birth[4:6]}-{birth[6:]}" not in html, (role, url)
            if number in html:
                seen_whole.add(role)
            elif "union:member" in url or url == reverse("my_membership"):
                assert number[-4:] in html, (role, url)
    assert seen_whole == {"alice", "staff"}


def test_the_applications_page_has_a_fixed_number_of_queries_and_pages_by_key(client, m, f,
                                                                            django_assert_max_num_queries):
    for _ in range(60):
        services.application_submit(actor=m.staff, form=form_for(f.worker(m.depot, m.driver)))
    client.force_login(m.officer)
    with django_assert_max_num_queries(12):
        first = client.get(reverse("union:applications"))
    html = first.content.decode()
    assert html.count('name="ids"') == 50
    after = html.split("after=")[1].split('"')[0]
    second = client.get(reverse("union:applications") + f"?status=submitted&after={after}").content.decode()
    assert second.count('name="ids"') == 10


def test_the_admin_lists_forms_read_only_with_the_id_number_masked(admin_client, m, alices):
    changelist = admin_client.get(reverse("admin:members_membershipapplication_changelist")).content.decode()
    change = admin_client.get(reverse("admin:members_membershipapplication_change", args=[alices.pk]))
    assert change.status_code == 200
    for html in (changelist, change.content.decode()):
        assert m.alice.id_number not in html and "13800138000" not in html
        assert m.alice.id_number[-4:] in html
    assert admin_client.get(reverse("admin:members_membershipapplication_add")).status_code == 403
    filtered = admin_client.get(reverse("admin:members_membershipapplication_changelist")
                                + f"?id_number__startswith={m.alice.id_number[:8]}")
    assert filtered.status_code == 400  # personal data is never a URL filter (no probing digit by digit)


def test_the_applications_page_finds_a_worker_by_employee_number(client, m, alices):
    services.application_submit(actor=m.clerk, form=form_for(m.bob))
    client.force_login(m.officer)
    html = client.get(reverse("union:applications") + f"?worker={m.bob.employee_no}").content.decode()
    assert m.bob.name in html and m.alice.name not in html


def test_each_membership_page_has_a_fixed_number_of_queries(client, m, alices, f, django_assert_max_num_queries):
    services.application_approve(actor=m.officer, application_id=alices.pk)
    card = services.card_issue(actor=m.staff, worker_id=m.alice.pk, number=card_number(21))
    services.card_set_status(actor=m.staff, card_id=card.pk, status="lost")
    services.card_replace(actor=m.staff, card_id=card.pk, number=card_number(22))
    today = alices.applied_on
    for kind in ("suspended", "restored", "suspended", "restored"):
        services.membership_record(actor=m.officer, worker_id=m.alice.pk, kind=kind, on=today, reason="x")
    # session, user, scope (3), the navigation's unread count, the page's own reads; however long the history
    # and the list of cards
    pages = [(m.alice_user, reverse("my_membership"), 10),
             (m.officer, reverse("union:application", args=[alices.pk]), 7),
             (m.officer, reverse("union:member", args=[m.alice.pk]), 10),
             (m.staff, reverse("union:member", args=[m.alice.pk]), 10)]
    for user, url, most in pages:
        client.force_login(user)
        with django_assert_max_num_queries(most):
            assert client.get(url).status_code == 200


@pytest.mark.parametrize("joined_on", ["2026-02-30", "garbage", "9999-12-31"])
def test_a_joining_date_that_is_no_date_is_refused_never_read_as_today(client, m, alices, joined_on):
    client.force_login(m.officer)
    for url, data in ((reverse("union:application", args=[alices.pk]), {"action": "approve"}),
                      (reverse("union:applications_approve"), {"ids": [alices.pk]})):
        page = client.post(url, {**data, "joined_on": joined_on}, follow=True).content.decode()
        assert "入会日期无效" in page, url
    alices.refresh_from_db()
    assert alices.status == ApplicationStatus.SUBMITTED


def test_a_clerk_names_the_worker_of_a_form_in_full_width_digits(client, m):
    from tests.factories import ime_typed

    client.force_login(m.clerk)
    response = client.post(reverse("union:application_new"),
                           {**post_data(m.bob), "employee_no": ime_typed(m.bob.employee_no)})
    assert response.status_code == 302 and MembershipApplication.objects.filter(worker=m.bob).exists()


def test_approving_is_offered_over_waiting_forms_only(client, m, alices):
    # given one waiting form (bob's) and one approved (alice's)
    services.application_submit(actor=m.clerk, form=form_for(m.bob))
    services.application_approve(actor=m.officer, application_id=alices.pk)
    client.force_login(m.officer)
    url = reverse("union:applications")
    # the waiting list and the whole list offer approving them, one by one or all
    for query in ("", "?status=submitted", "?status=all"):
        html = client.get(url + query).content.decode()
        assert 'id="approve-all"' in html and 'id="approve-selected"' in html and 'name="ids"' in html, query
    # a list of approved forms offers neither: before, it had 批准选中的申请 with nothing to tick, and
    # 批准全部待审批的申请 over a list with none waiting
    html = client.get(url + "?status=approved").content.decode()
    assert m.alice.name in html
    assert "approve-all" not in html and "approve-selected" not in html and "批准选中的申请" not in html
    # and a clerk, who does not decide, is offered neither anywhere
    client.force_login(m.clerk)
    html = client.get(url).content.decode()
    assert m.bob.name in html and "approve-all" not in html and "approve-selected" not in html

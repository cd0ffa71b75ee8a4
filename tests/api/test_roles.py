"""Every endpoint × every role: allowed, forbidden (403: wrong role), and someone else's object
(404, exactly like a missing one, so nobody learns it exists)."""

from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from competitions.models import Competition, CompetitionStatus, Job
from competitions.services import standings_recompute
from reviews import services, workflow
from reviews.models import Dispute, EntryStatus, WorkEntry

pytestmark = pytest.mark.django_db

ROLES = ["anon", "worker", "clerk", "reviewer", "staff", "staff_clerk", "superuser", "clerk_reviewer"]


@pytest.fixture
def objs(w, entries, today):
    """The objects the matrix refers to: alice's entry (the clerk's depot, the reviewer's system),
    carol's (another depot and system), a dispute of each, standings for today."""
    alice_dispute = services.dispute_open(actor=w.alice_user, work_date=w.yesterday, comment="少算了",
                                          entry_id=entries.alice.pk)
    carol_dispute = services.dispute_open(actor=w.carol_user, work_date=w.yesterday, comment="漏录")
    approved = services.entry_create(actor=w.clerk, competition=w.comp, worker_id=w.bob.pk, rule_id=w.trips.pk,
                                     work_date=w.yesterday, quantity="3")
    workflow.entry_transition(actor=w.reviewer, entry=approved, to_status=EntryStatus.APPROVED)
    draft = Competition.objects.create(name="筹备中", start_date=w.comp.start_date, end_date=w.comp.end_date,
                                       status=CompetitionStatus.DRAFT)
    standings_recompute(competition=w.comp, day=today)
    # A background job the reviewer started (an approve-matching too large for its request).
    reviewer_job = Job.objects.create(kind="review_approve_matching", created_by=w.reviewer,
                                      params={"criteria": {"month": w.yesterday.strftime("%Y-%m")}})
    return {
        "comp": w.comp.pk, "draft": draft.pk, "rule": w.km.pk, "alice_entry": entries.alice.pk,
        "carol_entry": entries.carol.pk, "approved_entry": approved.pk, "alice_dispute": alice_dispute.pk,
        "carol_dispute": carol_dispute.pk, "system": w.system.pk, "month": w.yesterday.strftime("%Y-%m"),
        "bob": w.bob.pk, "alice": w.alice.pk, "km": w.km.pk, "trips": w.trips.pk, "day": str(w.yesterday),
        "carol": w.carol.pk, "depot": w.depot.pk, "workshop": w.workshop.pk, "other_depot": w.other_depot.pk,
        "reviewer_job": reviewer_job.pk,
    }


@dataclass
class Case:
    name: str
    method: str
    url: str
    expect: dict  # role -> status
    body: dict | None = None
    extra: dict = field(default_factory=dict)
    code: str | None = None  # the error code every refusal (4xx) of the case answers with, where it matters


@pytest.fixture
def own_work(w, objs):
    """Entries that are the clerk-and-reviewer's own work: one they entered, one the depot's clerk entered
    and they then edited (its last changer). A day before the matrix's other entries."""
    day = w.yesterday - timedelta(days=1)
    own = services.entry_create(actor=w.clerk_reviewer, competition=w.comp, worker_id=w.bob.pk, rule_id=w.km.pk,
                                work_date=day, quantity="4")
    changed = services.entry_create(actor=w.clerk, competition=w.comp, worker_id=w.bob.pk, rule_id=w.trips.pk,
                                    work_date=day, quantity="2")
    services.entry_update(actor=w.clerk_reviewer, entry_id=changed.pk, quantity="3")
    return {**objs, "own_entry": own.pk, "changed_entry": changed.pk}


def entry_body(o, worker="bob", rule="km"):
    return {"competition": o["comp"], "worker": o[worker], "rule": o[rule], "work_date": o["day"], "quantity": "5"}


A = 401


def expect(**statuses) -> dict:
    return statuses


CASES = [
    Case("me", "get", "/api/v1/me/", expect(anon=A, worker=200, clerk=200, reviewer=200, staff=200)),
    Case("competitions", "get", "/api/v1/competitions/",
         expect(anon=A, worker=200, clerk=200, reviewer=200, staff=200)),
    Case("competition", "get", "/api/v1/competitions/{comp}/",
         expect(anon=A, worker=200, clerk=200, reviewer=200, staff=200)),
    Case("draft competition", "get", "/api/v1/competitions/{draft}/",
         expect(anon=A, worker=404, clerk=404, reviewer=404, staff=200)),
    Case("business systems", "get", "/api/v1/business-systems/",
         expect(anon=A, worker=200, clerk=200, reviewer=200, staff=200)),
    Case("job types", "get", "/api/v1/job-types/", expect(anon=A, worker=200, clerk=200, reviewer=200, staff=200)),
    Case("rules", "get", "/api/v1/rules/", expect(anon=A, worker=200, clerk=200, reviewer=200, staff=200)),
    Case("rule", "get", "/api/v1/rules/{rule}/", expect(anon=A, worker=200, clerk=200, reviewer=200, staff=200)),
    Case("my standing", "get", "/api/v1/competitions/{comp}/standings/me/",
         expect(anon=A, worker=200, clerk=403, reviewer=403, staff=403)),
    Case("my standing in a draft", "get", "/api/v1/competitions/{draft}/standings/me/",
         expect(anon=A, worker=404)),
    Case("my history", "get", "/api/v1/competitions/{comp}/standings/me/history/",
         expect(anon=A, worker=200, clerk=403, reviewer=403, staff=403)),
    Case("my workload", "get", "/api/v1/competitions/{comp}/standings/me/workload/",
         expect(anon=A, worker=200, clerk=403, reviewer=403, staff=403)),
    Case("leaderboard", "get", "/api/v1/competitions/{comp}/leaderboard/",
         expect(anon=A, worker=200, clerk=200, reviewer=200, staff=200)),
    Case("leaderboard of a draft", "get", "/api/v1/competitions/{draft}/leaderboard/",
         expect(worker=404, clerk=404, reviewer=404, staff=200)),
    Case("around me", "get", "/api/v1/competitions/{comp}/leaderboard/around-me/",
         expect(anon=A, worker=200, clerk=403, reviewer=403, staff=403)),
    Case("entries", "get", "/api/v1/entries/", expect(anon=A, worker=200, clerk=200, reviewer=200, staff=200)),
    Case("own entry", "get", "/api/v1/entries/{alice_entry}/",
         expect(anon=A, worker=200, clerk=200, reviewer=200, staff=200)),
    Case("someone else's entry", "get", "/api/v1/entries/{carol_entry}/",
         expect(anon=A, worker=404, clerk=404, reviewer=404, staff=200)),
    Case("my entries", "get", "/api/v1/me/entries/", expect(anon=A, worker=200, clerk=403, reviewer=403, staff=403)),
    Case("create entry", "post", "/api/v1/entries/", expect(anon=A, worker=403, clerk=201, reviewer=403, staff=403),
         body=entry_body),
    Case("create entry for another unit's worker", "post", "/api/v1/entries/", expect(clerk=400),
         body=lambda o: {**entry_body(o), "worker": 999999}),
    Case("edit entry", "patch", "/api/v1/entries/{alice_entry}/",
         expect(anon=A, worker=403, clerk=200, reviewer=403, staff=403), body=lambda o: {"quantity": "7"}),
    Case("edit someone else's entry", "patch", "/api/v1/entries/{carol_entry}/",
         expect(clerk=404, staff=403, staff_clerk=404), body=lambda o: {"quantity": "7"}),
    Case("batch create", "post", "/api/v1/entries/batch/",
         expect(anon=A, worker=403, clerk=201, reviewer=403, staff=403),
         body=lambda o: {"competition": o["comp"], "rows": [
             {k: v for k, v in entry_body(o).items() if k != "competition"},
             {k: v for k, v in entry_body(o, "alice", "trips").items() if k != "competition"}]}),
    Case("adjust", "post", "/api/v1/entries/{approved_entry}/adjustments/",
         expect(anon=A, worker=403, clerk=201, reviewer=403, staff=403),
         body=lambda o: {"quantity_delta": "-1", "reason": "多录一趟"}),
    Case("adjust someone else's entry", "post", "/api/v1/entries/{carol_entry}/adjustments/",
         expect(clerk=404, staff_clerk=404), body=lambda o: {"quantity_delta": "-1", "reason": "x"}),
    Case("approve one", "post", "/api/v1/entries/{alice_entry}/approve/",
         expect(anon=A, worker=403, clerk=403, reviewer=200, staff=403)),
    Case("approve someone else's", "post", "/api/v1/entries/{carol_entry}/approve/", expect(reviewer=404)),
    Case("reject one", "post", "/api/v1/entries/{alice_entry}/reject/",
         expect(anon=A, worker=403, clerk=403, reviewer=200, staff=403), body=lambda o: {"reason": "公里数有误"}),
    Case("reject someone else's", "post", "/api/v1/entries/{carol_entry}/reject/", expect(reviewer=404),
         body=lambda o: {"reason": "x"}),
    Case("queue", "get", "/api/v1/review/queue/", expect(anon=A, worker=403, clerk=403, reviewer=200, staff=200)),
    Case("approve selected", "post", "/api/v1/review/approve/",
         expect(anon=A, worker=403, clerk=403, reviewer=200, staff=403),
         body=lambda o: {"ids": [o["alice_entry"], o["carol_entry"]]}),
    Case("reject selected", "post", "/api/v1/review/reject/",
         expect(anon=A, worker=403, clerk=403, reviewer=200, staff=403),
         body=lambda o: {"ids": [o["alice_entry"]], "reason": "重复"}),
    Case("approve matching", "post", "/api/v1/review/approve-matching/",
         expect(anon=A, worker=403, clerk=403, reviewer=200, staff=403),
         body=lambda o: {"month": o["month"], "business_system": o["system"]}),
    Case("sign off", "post", "/api/v1/review/sign-off/",
         # alice's entry is still pending (and the month may not have ended)
         expect(anon=A, worker=403, clerk=403, reviewer=409, staff=403),
         body=lambda o: {"competition": o["comp"], "business_system": o["system"], "month": o["month"]}),
    Case("periods", "get", "/api/v1/review/periods/", expect(anon=A, worker=403, clerk=403, reviewer=200, staff=200)),
    Case("disputes", "get", "/api/v1/disputes/", expect(anon=A, worker=200, clerk=200, reviewer=200, staff=200)),
    Case("own dispute", "get", "/api/v1/disputes/{alice_dispute}/",
         expect(anon=A, worker=200, clerk=200, reviewer=404, staff=200)),
    Case("someone else's dispute", "get", "/api/v1/disputes/{carol_dispute}/",
         expect(worker=404, clerk=404, reviewer=404, staff=200)),
    Case("open dispute", "post", "/api/v1/disputes/", expect(anon=A, worker=201, clerk=403, reviewer=403, staff=403),
         body=lambda o: {"work_date": o["day"], "comment": "那天我值乘了"}),
    Case("dispute someone else's entry", "post", "/api/v1/disputes/", expect(worker=404),
         body=lambda o: {"entry": o["carol_entry"], "comment": "?"}),
    Case("answer dispute", "post", "/api/v1/disputes/{alice_dispute}/answer/",
         expect(anon=A, worker=403, clerk=200, reviewer=403, staff=200),
         body=lambda o: {"response": "已核实并更正", "corrected": True}),
    Case("answer someone else's dispute", "post", "/api/v1/disputes/{carol_dispute}/answer/", expect(clerk=404),
         body=lambda o: {"response": "x"}),
    Case("workers", "get", "/api/v1/workers/", expect(anon=A, worker=200, clerk=200, reviewer=200, staff=200)),
    Case("own worker record", "get", "/api/v1/workers/{alice}/",
         expect(anon=A, worker=200, clerk=200, reviewer=200, staff=200)),
    # bob: the clerk's depot, the reviewer's business system; not alice herself
    Case("a worker in the clerk's units", "get", "/api/v1/workers/{bob}/",
         expect(anon=A, worker=404, clerk=200, reviewer=200, staff=200)),
    Case("someone else's unit's worker", "get", "/api/v1/workers/{carol}/",
         expect(anon=A, worker=404, clerk=404, reviewer=404, staff=200)),
    Case("units", "get", "/api/v1/units/", expect(anon=A, worker=200, clerk=200, reviewer=200, staff=200)),
    Case("own unit", "get", "/api/v1/units/{workshop}/",
         expect(anon=A, worker=200, clerk=200, reviewer=200, staff=200)),
    Case("the clerk's depot", "get", "/api/v1/units/{depot}/",
         expect(anon=A, worker=404, clerk=200, reviewer=200, staff=200)),
    Case("someone else's unit", "get", "/api/v1/units/{other_depot}/",
         expect(anon=A, worker=404, clerk=404, reviewer=404, staff=200)),
    Case("logout", "post", "/api/v1/auth/logout/", expect(anon=A, worker=204, clerk=204, reviewer=204, staff=204)),
    Case("change password (wrong current one)", "post", "/api/v1/auth/password/",
         expect(anon=A, worker=400, clerk=400, reviewer=400, staff=400),
         body=lambda o: {"old_password": "not-the-password", "new_password": "Rail-way-2026"}),
]

# The 公示 endpoints against every role, with real rounds (in 公示, final, draft, another competition's):
# tests/api/test_honours_api.py. Here: every role reaches them, and a round that is not there is a 404 (no
# round exists in this world: the draft competition's id is no round's).
CASES += [
    Case("award rounds", "get", "/api/v1/competitions/{comp}/award-rounds/",
         expect(anon=A, worker=200, clerk=200, reviewer=200, staff=200)),
    Case("award rounds of a draft competition", "get", "/api/v1/competitions/{draft}/award-rounds/",
         expect(worker=404, clerk=404, reviewer=404, staff=200)),
    Case("award round", "get", "/api/v1/competitions/{comp}/award-rounds/{draft}/",
         expect(anon=A, worker=404, clerk=404, reviewer=404, staff=404)),
    Case("raise objection", "post", "/api/v1/competitions/{comp}/award-rounds/{draft}/objections/",
         expect(anon=A, worker=404, clerk=404, reviewer=404, staff=404), body=lambda o: {"nominee": 1, "reason": "x"}),
    Case("my objections", "get", "/api/v1/me/objections/", expect(anon=A, worker=200, clerk=200, reviewer=200,
                                                                  staff=200)),
    Case("my honours", "get", "/api/v1/me/honours/", expect(anon=A, worker=200, clerk=403, reviewer=403, staff=403)),
]

# The membership endpoints against every role with real forms, members and cards (union officers of a unit and
# of another, someone else's form): tests/api/test_membership_api.py. Here: the role gates, and an object that
# is not there is a 404 (no form, member record of the office's or card exists in this world but alice).
CASES += [
    Case("my membership", "get", "/api/v1/me/membership/",
         expect(anon=A, worker=200, clerk=403, reviewer=403, staff=403)),
    Case("apply for membership (bad form)", "post", "/api/v1/me/membership/",
         expect(anon=A, worker=400, clerk=403, reviewer=403, staff=403), body=lambda o: {"name": "x"}),
    Case("membership applications", "get", "/api/v1/membership/applications/",
         expect(anon=A, worker=200, clerk=200, reviewer=200, staff=200)),
    Case("apply on a worker's behalf (bad form)", "post", "/api/v1/membership/applications/",
         expect(anon=A, worker=403, clerk=400, reviewer=403, staff=400), body=lambda o: {"worker": o["bob"]}),
    Case("membership application", "get", "/api/v1/membership/applications/{draft}/",
         expect(anon=A, worker=404, clerk=404, reviewer=404, staff=404)),
    Case("approve membership applications", "post", "/api/v1/membership/applications/approve/",
         expect(anon=A, worker=403, clerk=403, reviewer=403, staff=200), body=lambda o: {"ids": [o["draft"]]}),
    *[Case(f"{action} a membership application", "post", f"/api/v1/membership/applications/{{draft}}/{action}/",
           expect(anon=A, worker=403, clerk=403, reviewer=403, staff=404),
           body=(lambda o: {}) if action == "approve" else (lambda o: {"reason": "x"}))
      for action in ("approve", "return", "reject")],
    Case("a member's membership", "get", "/api/v1/membership/members/{alice}/",
         expect(anon=A, worker=403, clerk=403, reviewer=403, staff=200)),
    Case("issue a card", "post", "/api/v1/membership/cards/",
         expect(anon=A, worker=403, clerk=403, reviewer=403, staff=409),  # alice is no member
         body=lambda o: {"worker": o["alice"], "number": "4539578763621486"}),
    Case("card status", "post", "/api/v1/membership/cards/{draft}/status/",
         expect(anon=A, worker=403, clerk=403, reviewer=403, staff=404), body=lambda o: {"status": "lost"}),
    Case("replace a card", "post", "/api/v1/membership/cards/{draft}/replace/",
         expect(anon=A, worker=403, clerk=403, reviewer=403, staff=404),
         body=lambda o: {"number": "4539578763621486"}),
]

# The message centre: everyone signed in has their own (tests/api/test_notifications_api.py: only one's own
# messages, someone else's ids ignored); the weekly digest is for workers.
CASES += [
    Case("my notifications", "get", "/api/v1/me/notifications/",
         expect(anon=A, worker=200, clerk=200, reviewer=200, staff=200)),
    Case("unread count", "get", "/api/v1/me/notifications/unread-count/",
         expect(anon=A, worker=200, clerk=200, reviewer=200, staff=200)),
    Case("mark notifications read", "post", "/api/v1/me/notifications/read/",
         expect(anon=A, worker=200, clerk=200, reviewer=200, staff=200), body=lambda o: {"all": True}),
    Case("notification settings", "get", "/api/v1/me/notification-settings/",
         expect(anon=A, worker=200, clerk=200, reviewer=200, staff=200)),
    Case("opt in to the weekly digest", "put", "/api/v1/me/notification-settings/",
         expect(anon=A, worker=200, clerk=400, reviewer=400, staff=400), body=lambda o: {"weekly_digest": True}),
]

# A background job an endpoint started (202): its starter's, and union staff's to read (Job.objects.visible_to);
# anyone else's answers like a missing one.
CASES += [
    Case("a job one started", "get", "/api/v1/jobs/{reviewer_job}/",
         expect(anon=A, worker=404, clerk=404, reviewer=200, staff=200)),
]

# Separation of duties (members.scope): entering needs a clerk grant and reviewing a reviewer grant, whoever
# holds is_staff or is_superuser; staff read everything. A staff member with a clerk grant for the clerk's
# depot enters there and reviews nothing; a superuser without grants is staff; the depot's clerk who also
# reviews the system acts as both, except on their own work (the cases below).
ENTERING = {"create entry": 201, "edit entry": 200, "batch create": 201, "adjust": 201}
REVIEWING = {"approve one": 200, "reject one": 200, "queue": 200, "approve selected": 200, "reject selected": 200,
             "approve matching": 200, "sign off": 409, "periods": 200}
for case in CASES:
    if "staff" in case.expect:
        case.expect.setdefault("superuser", case.expect["staff"])
        case.expect.setdefault("staff_clerk", ENTERING.get(case.name, case.expect["staff"]))
    if "clerk" in case.expect:
        case.expect.setdefault("clerk_reviewer", REVIEWING.get(case.name, case.expect["clerk"]))

CASES += [
    Case("approve one's own entry", "post", "/api/v1/entries/{own_entry}/approve/",
         expect(clerk_reviewer=409, reviewer=200, staff=403, superuser=403, staff_clerk=403), code="self_review"),
    Case("reject one's own entry", "post", "/api/v1/entries/{own_entry}/reject/",
         expect(clerk_reviewer=409, reviewer=200), body=lambda o: {"reason": "重复"}, code="self_review"),
    Case("approve an entry one last changed", "post", "/api/v1/entries/{changed_entry}/approve/",
         expect(clerk_reviewer=409, reviewer=200, clerk=403), code="self_review"),
    Case("reject an entry one last changed", "post", "/api/v1/entries/{changed_entry}/reject/",
         expect(clerk_reviewer=409, reviewer=200), body=lambda o: {"reason": "重复"}, code="self_review"),
]

MATRIX = [pytest.param(case, role, id=f"{case.name}-{role}") for case in CASES for role in ROLES if role in case.expect]


@pytest.mark.parametrize(("case", "role"), MATRIX)
def test_role_matrix(api, objs, case, role, request):
    # given a client signed in as the role (and the account's own work, for the cases about it)
    if "own_entry" in case.url or "changed_entry" in case.url:
        objs = request.getfixturevalue("own_work")
    client = getattr(api, role)
    body = case.body(objs) if case.body else None
    # when it calls the endpoint
    response = getattr(client, case.method)(case.url.format(**objs), body, format="json")
    # then the status is the one the role gets, and failures use the one error format
    assert response.status_code == case.expect[role], response.content.decode()
    if response.status_code >= 400:
        error = response.json()["error"]
        assert error["code"] and error["message"]
        expected_code = {401: "not_authenticated", 403: "permission_denied", 404: "not_found"}.get(
            response.status_code)
        if expected_code and case.name != "create entry for another unit's worker":
            assert error["code"] == expected_code
        if case.code and response.status_code not in (401, 403, 404):
            assert error["code"] == case.code


def test_every_endpoint_is_in_the_matrix():
    from django.urls import get_resolver

    resolver = get_resolver()
    api = [p for p in resolver.url_patterns if str(p.pattern) == "api/v1/"][0]
    routes = set()

    def walk(patterns, prefix):
        for p in patterns:
            if hasattr(p, "url_patterns"):
                walk(p.url_patterns, prefix + str(p.pattern))
            else:
                routes.add(prefix + str(p.pattern))

    walk(api.url_patterns, "")
    covered = {c.url.replace("/api/v1/", "") for c in CASES}
    normalized = {__import__("re").sub(r"<int:\w+>", "{x}", r) for r in routes} - {"schema/", "docs/", "redoc/", "^.*$",
                                                                   "auth/login/", "auth/refresh/"}
    covered = {__import__("re").sub(r"\{\w+\}", "{x}", c) for c in covered}
    assert normalized - covered == set()


def test_lists_show_only_what_the_role_may_see(api, objs, w):
    def ids(client, url):
        return {row["id"] for row in client.get(url).json()["results"]}

    alice, carol, bob = objs["alice_entry"], objs["carol_entry"], objs["approved_entry"]
    assert ids(api.worker, "/api/v1/entries/") == {alice}
    assert ids(api.worker, "/api/v1/me/entries/") == {alice}
    assert ids(api.other_worker, "/api/v1/entries/") == {carol}
    assert ids(api.clerk, "/api/v1/entries/") == {alice, bob}
    assert ids(api.other_clerk, "/api/v1/entries/") == {carol}
    assert ids(api.reviewer, "/api/v1/entries/") == {alice, bob}
    assert ids(api.other_reviewer, "/api/v1/entries/") == {carol}
    assert ids(api.staff, "/api/v1/entries/") == {alice, bob, carol}
    assert ids(api.reviewer, "/api/v1/review/queue/") == {alice}  # pending only by default
    assert ids(api.reviewer, "/api/v1/review/queue/?status=approved") == {bob}
    assert ids(api.other_reviewer, "/api/v1/review/queue/") == {carol}
    assert ids(api.worker, "/api/v1/disputes/") == {objs["alice_dispute"]}
    assert ids(api.clerk, "/api/v1/disputes/") == {objs["alice_dispute"]}
    assert ids(api.other_clerk, "/api/v1/disputes/") == {objs["carol_dispute"]}
    assert ids(api.reviewer, "/api/v1/disputes/") == set()
    assert ids(api.worker, "/api/v1/competitions/") == {objs["comp"]}
    assert ids(api.staff, "/api/v1/competitions/") == {objs["comp"], objs["draft"]}
    alice, bob, carol = objs["alice"], objs["bob"], objs["carol"]
    assert ids(api.worker, "/api/v1/workers/") == {alice}
    assert ids(api.clerk, "/api/v1/workers/") == {alice, bob}
    assert ids(api.other_clerk, "/api/v1/workers/") == {carol}
    assert ids(api.reviewer, "/api/v1/workers/") == {alice, bob}
    assert ids(api.staff, "/api/v1/workers/") == {alice, bob, carol}
    assert ids(api.worker, "/api/v1/units/") == {objs["workshop"]}
    assert ids(api.clerk, "/api/v1/units/") == {objs["depot"], objs["workshop"]}
    assert ids(api.other_clerk, "/api/v1/units/") == {objs["other_depot"]}
    assert ids(api.reviewer, "/api/v1/units/") == {objs["depot"], objs["workshop"]}


def test_approve_selected_moves_only_the_reviewers_entries(api, objs):
    response = api.reviewer.post("/api/v1/review/approve/", {"ids": [objs["alice_entry"], objs["carol_entry"]]},
                                 format="json")
    assert response.json() == {"moved": 1, "skipped_own": 0}
    assert WorkEntry.objects.get(pk=objs["alice_entry"]).status == EntryStatus.APPROVED
    assert WorkEntry.objects.get(pk=objs["carol_entry"]).status == EntryStatus.PENDING


def test_approve_matching_then_sign_off_locks_the_month(api, objs, monkeypatch):
    # The entries are in the current month, which can be signed off once it has ended: the day after.
    from config.months import month_last_day, parse_month

    month_end = month_last_day(parse_month(objs["month"]))
    monkeypatch.setattr(workflow, "local_today", lambda: month_end + timedelta(days=1))
    response = api.reviewer.post("/api/v1/review/approve-matching/",
                                 {"month": objs["month"], "business_system": objs["system"]}, format="json")
    assert response.status_code == 200 and response.json()["moved"] == 1
    response = api.reviewer.post("/api/v1/review/sign-off/", {"competition": objs["comp"],
                                                              "business_system": objs["system"],
                                                              "month": objs["month"]}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "signed_off" and response.json()["month"] == objs["month"]
    assert WorkEntry.objects.get(pk=objs["alice_entry"]).shown_status == EntryStatus.LOCKED
    # Locked is the month's state: the stored row stays approved, and the API shows and filters it as locked.
    assert WorkEntry.objects.get(pk=objs["alice_entry"]).status == EntryStatus.APPROVED
    body = api.reviewer.get(f"/api/v1/entries/{objs['alice_entry']}/").json()
    assert (body["status"], body["status_label"]) == ("locked", "已锁定")
    assert body["events"][-1]["action"] == "locked" and body["events"][-1]["id"] is None

    def listed(status):
        return {e["id"] for e in api.reviewer.get("/api/v1/entries/", {"status": status}).json()["results"]}

    assert objs["alice_entry"] in listed("locked") and objs["alice_entry"] not in listed("approved")
    refused = api.reviewer.post(f"/api/v1/entries/{objs['alice_entry']}/reject/", {"reason": "重复"}, format="json")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "transition_forbidden"
    assert WorkEntry.objects.get(pk=objs["alice_entry"]).status == EntryStatus.APPROVED
    again = api.reviewer.post("/api/v1/review/sign-off/", {"competition": objs["comp"],
                                                           "business_system": objs["system"],
                                                           "month": objs["month"]}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_signed_off"


def test_approve_matching_refuses_a_competition_that_does_not_exist_as_sign_off_does(api, objs):
    missing = Competition.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000
    body = {"competition": missing, "business_system": objs["system"], "month": objs["month"]}
    before = dict(WorkEntry.objects.values_list("pk", "status"))
    signed = api.reviewer.post("/api/v1/review/sign-off/", body, format="json")
    response = api.reviewer.post("/api/v1/review/approve-matching/", body, format="json")
    assert signed.status_code == response.status_code == 400, response.content
    assert response.json()["error"] == signed.json()["error"]
    assert response.json()["error"]["details"] == {"competition": [{"code": "does_not_exist",
                                                                     "message": "找不到该劳动竞赛。"}]}
    body = {"business_system": objs["system"] + 1000, "month": objs["month"]}
    response = api.reviewer.post("/api/v1/review/approve-matching/", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["details"]["business_system"][0]["code"] == "does_not_exist"
    assert WorkEntry.objects.get(pk=objs["alice_entry"]).status == EntryStatus.PENDING
    assert dict(WorkEntry.objects.values_list("pk", "status")) == before


@pytest.mark.parametrize("field", ["unit", "job_type", "rule"])
def test_approve_matching_refuses_a_unit_job_type_or_rule_that_does_not_exist(api, objs, field):
    from competitions.models import JobType, ScoringRule
    from members.models import Unit

    model = {"unit": Unit, "job_type": JobType, "rule": ScoringRule}[field]
    missing = model.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000
    before = dict(WorkEntry.objects.values_list("pk", "status"))
    response = api.reviewer.post("/api/v1/review/approve-matching/", {"month": objs["month"], field: missing},
                                 format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "validation_error"
    assert response.json()["error"]["details"][field][0]["code"] == "does_not_exist"
    assert dict(WorkEntry.objects.values_list("pk", "status")) == before
    english = api.reviewer.post("/api/v1/review/approve-matching/", {"month": objs["month"], field: missing},
                                format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["error"]["details"][field][0]["message"].startswith("No such ")


def test_other_systems_reviewer_may_not_sign_off(api, objs):
    response = api.other_reviewer.post("/api/v1/review/sign-off/", {"competition": objs["comp"],
                                                                    "business_system": objs["system"],
                                                                    "month": objs["month"]}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_reviewer_cannot_approve_their_own_entry(api, w, objs, f):
    # A reviewer who is also a clerk of the depot enters work, then tries to approve it.
    w.reviewer.clerk_units.add(w.depot)
    w.reviewer._portal_scope = None  # the grant is new: its scope is read again (as a request would)
    entry = services.entry_create(actor=w.reviewer, competition=w.comp, worker_id=w.bob.pk, rule_id=w.km.pk,
                                  work_date=w.yesterday, quantity="1")
    response = api.reviewer.post(f"/api/v1/entries/{entry.pk}/approve/", format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "self_review"


def test_worker_sees_entry_status_reason_and_audit(api, w, objs):
    api.reviewer.post(f"/api/v1/entries/{objs['alice_entry']}/reject/", {"reason": "公里数有误"}, format="json")
    body = api.worker.get(f"/api/v1/entries/{objs['alice_entry']}/").json()
    assert body["status"] == "rejected" and body["reject_reason"] == "公里数有误"
    assert [e["action"] for e in body["events"]] == ["created", "rejected"]
    # the clerk corrects it: it goes back to review
    edited = api.clerk.patch(f"/api/v1/entries/{objs['alice_entry']}/", {"quantity": "100"}, format="json").json()
    assert edited["status"] == "pending" and edited["quantity"] == "100.000"
    assert [e["action"] for e in edited["events"]] == ["created", "rejected", "edited", "resubmitted"]


def test_approved_entry_cannot_be_edited(api, objs):
    response = api.clerk.patch(f"/api/v1/entries/{objs['approved_entry']}/", {"quantity": "1"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "entry_not_editable"
    assert response.json()["error"]["details"][0]["field"] == "entry"


def test_answered_dispute_reaches_the_worker(api, objs):
    api.clerk.post(f"/api/v1/disputes/{objs['alice_dispute']}/answer/", {"response": "已更正", "corrected": True},
                   format="json")
    body = api.worker.get(f"/api/v1/disputes/{objs['alice_dispute']}/").json()
    assert body["status"] == "corrected" and body["response"] == "已更正"
    assert Dispute.objects.get(pk=objs["alice_dispute"]).responded_by is not None

# Skill certificates: a list through visible_to (someone else's certificates are simply not in it; the lists by
# role with real certificates: tests/members/test_skills.py).
CASES += [
    Case("skill certificates", "get", "/api/v1/skills/", expect(anon=A, worker=200, clerk=200, reviewer=200,
                                                                staff=200)),
]
MATRIX += [pytest.param(case, role, id=f"{case.name}-{role}") for case in CASES[-1:] for role in ROLES
           if role in case.expect]


# -- separation of duties -----------------------------------------------------------------------------

def test_bulk_approval_skips_ones_own_work_and_counts_it(api, own_work):
    # given two entries that are the clerk-and-reviewer's own work and alice's, entered by the depot's clerk
    ids = [own_work["own_entry"], own_work["changed_entry"], own_work["alice_entry"]]
    # when they approve all three
    response = api.clerk_reviewer.post("/api/v1/review/approve/", {"ids": ids}, format="json")
    # then alice's moves and their own two are skipped, counted, and still pending
    assert response.status_code == 200 and response.json() == {"moved": 1, "skipped_own": 2}
    statuses = dict(WorkEntry.objects.filter(pk__in=ids).values_list("pk", "status"))
    assert statuses == {own_work["own_entry"]: "pending", own_work["changed_entry"]: "pending",
                        own_work["alice_entry"]: "approved"}
    # and another reviewer of the system approves them
    response = api.reviewer.post("/api/v1/review/approve/", {"ids": ids}, format="json")
    assert response.json() == {"moved": 2, "skipped_own": 0}


def test_bulk_rejection_and_approve_matching_skip_ones_own_work(api, own_work):
    response = api.clerk_reviewer.post("/api/v1/review/reject/", {"ids": [own_work["own_entry"]], "reason": "重复"},
                                       format="json")
    assert response.json() == {"moved": 0, "skipped_own": 1}
    response = api.clerk_reviewer.post("/api/v1/review/approve-matching/", {"business_system": own_work["system"]},
                                       format="json")
    assert response.status_code == 400  # the month is required
    months = {WorkEntry.objects.get(pk=own_work[k]).work_date.strftime("%Y-%m") for k in ("own_entry", "alice_entry")}
    moved = skipped = 0
    for month in sorted(months):
        body = api.clerk_reviewer.post("/api/v1/review/approve-matching/",
                                       {"business_system": own_work["system"], "month": month}, format="json").json()
        moved, skipped = moved + body["moved"], skipped + body["skipped_own"]
    assert (moved, skipped) == (1, 2)
    assert WorkEntry.objects.get(pk=own_work["own_entry"]).status == EntryStatus.PENDING


def test_staff_without_grants_read_every_queue_and_entry_but_move_nothing(api, objs):
    alice, carol = objs["alice_entry"], objs["carol_entry"]
    for client in (api.staff, api.superuser):
        assert {row["id"] for row in client.get("/api/v1/review/queue/").json()["results"]} == {alice, carol}
        assert client.get(f"/api/v1/entries/{carol}/").status_code == 200
        response = client.post(f"/api/v1/entries/{alice}/approve/", format="json")
        assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"
    assert set(WorkEntry.objects.filter(pk__in=[alice, carol]).values_list("status", flat=True)) == {"pending"}


def test_staff_with_a_clerk_grant_enter_only_within_it(api, objs, w):
    body = {"competition": objs["comp"], "worker": objs["carol"], "rule": objs["km"], "work_date": objs["day"],
            "quantity": "5"}
    response = api.staff_clerk.post("/api/v1/entries/", body, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "worker_not_enterable"
    response = api.staff_clerk.post("/api/v1/entries/", {**body, "worker": objs["bob"]}, format="json")
    assert response.status_code == 201
    entry = WorkEntry.objects.get(pk=response.json()["id"])
    assert entry.entered_by == entry.changed_by == w.staff_clerk


def test_an_entry_says_its_kind_in_words_beside_its_code(api, objs):
    # given an adjustment of the approved entry
    made = api.clerk.post(f"/api/v1/entries/{objs['approved_entry']}/adjustments/",
                          {"quantity_delta": "1", "reason": "补录"}, format="json").json()

    # then each entry says 调整 or 日常录入, as it says its status in words
    assert (made["kind"], made["kind_label"]) == ("adjustment", "调整")
    assert WorkEntry.objects.get(pk=made["id"]).source == "api"  # made through the API, as it says
    rows = api.clerk.get("/api/v1/entries/").json()["results"]
    assert {(r["kind"], r["kind_label"]) for r in rows} == {("adjustment", "调整"), ("regular", "日常录入")}

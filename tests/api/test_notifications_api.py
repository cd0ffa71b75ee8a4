"""/api/v1/me/notifications/ and /api/v1/me/notification-settings/ for every role: one's own messages only,
keyset paging in the project's cursor format, marking read, the digest opt-in, stable error codes and
pinned query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from members import notifications
from members.models import Notification, NotificationKind
from members.notifications import written_text

pytestmark = pytest.mark.django_db

LIST = "/api/v1/me/notifications/"
UNREAD = "/api/v1/me/notifications/unread-count/"
READ = "/api/v1/me/notifications/read/"
SETTINGS = "/api/v1/me/notification-settings/"
ROLES = ["worker", "clerk", "reviewer", "staff"]


def users(w):
    return {"worker": w.alice_user, "clerk": w.clerk, "reviewer": w.reviewer, "staff": w.staff}


def send(user, n=1, title="消息"):
    Notification.objects.bulk_create([Notification(recipient=user, kind=NotificationKind.ENTRIES_REJECTED,
                                                   title=f"{title}{i}", link="/entries/") for i in range(n)])


@pytest.mark.parametrize("role", ROLES)
def test_every_role_lists_only_their_own_notifications_newest_first(api, w, role):
    me = users(w)[role]
    for user in users(w).values():
        send(user, 2, title=f"给{user.username}")
    response = getattr(api, role).get(LIST)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["title"] for r in results] == [f"给{me.username}1", f"给{me.username}0"]
    assert results[0]["read"] is False and results[0]["kind"] == "entries_rejected"
    assert set(results[0]) == {"id", "kind", "title", "body", "link", "created_at", "read", "read_at"}


@pytest.mark.parametrize("url,method", [(LIST, "get"), (UNREAD, "get"), (READ, "post"), (SETTINGS, "get"),
                                        (SETTINGS, "put")])
def test_anonymous_callers_get_401_in_the_error_format(api, url, method):
    response = getattr(api.anon, method)(url, {}, format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_the_list_pages_by_signed_cursor_and_filters_unread(api, w):
    send(w.clerk, 7)
    Notification.objects.filter(recipient=w.clerk, title="消息6").update(read_at="2026-01-01T00:00:00Z")
    first = api.clerk.get(LIST, {"page_size": 3}).json()
    assert [r["title"] for r in first["results"]] == ["消息6", "消息5", "消息4"]
    second = api.clerk.get(first["next"]).json()
    assert [r["title"] for r in second["results"]] == ["消息3", "消息2", "消息1"]
    unread = api.clerk.get(LIST, {"unread": "true", "page_size": 100}).json()["results"]
    assert len(unread) == 6 and all(not r["read"] for r in unread)
    assert api.clerk.get(LIST, {"unread": "maybe"}).json()["error"]["code"] == "validation_error"
    bad = api.clerk.get(LIST, {"cursor": "not-a-cursor"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_cursor"
    # another list's cursor is refused too
    other = api.clerk.get("/api/v1/units/", {"page_size": 1}).json()["next"]
    if other:
        cursor = other.split("cursor=")[1].split("&")[0]
        assert api.clerk.get(LIST, {"cursor": cursor}).json()["error"]["code"] == "invalid_cursor"


def test_marking_read_by_ids_touches_only_ones_own_and_all_marks_every_one(api, w):
    send(w.clerk, 3)
    send(w.other_clerk, 1)
    mine = list(Notification.objects.filter(recipient=w.clerk).values_list("pk", flat=True))
    theirs = Notification.objects.get(recipient=w.other_clerk).pk

    response = api.clerk.post(READ, {"ids": [mine[0], theirs, 987654]}, format="json")
    assert response.status_code == 200
    assert response.json() == {"marked": 1, "unread": 2}
    assert Notification.objects.get(pk=theirs).read_at is None
    assert api.clerk.get(UNREAD).json() == {"unread": 2}

    assert api.clerk.post(READ, {"all": True}, format="json").json() == {"marked": 2, "unread": 0}
    assert api.other_clerk.get(UNREAD).json() == {"unread": 1}


@pytest.mark.parametrize("body,code", [
    ({}, "validation_error"),
    ({"ids": [1], "all": True}, "validation_error"),
    ({"ids": []}, "validation_error"),
    ({"ids": ["x"]}, "validation_error"),
    ({"ids": [0]}, "validation_error"),
    ({"ids": [2**63]}, "validation_error"),
    ({"ids": list(range(1, 502))}, "validation_error"),
    ({"ids": [1], "everything": True}, "unknown_field"),
    ({"all": 1}, "validation_error"),
])
def test_a_bad_mark_read_body_is_a_400_with_a_stable_code_and_changes_nothing(api, w, body, code):
    send(w.clerk, 1)
    response = api.clerk.post(READ, body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert notifications.unread_count(w.clerk) == 1


def test_mark_read_accepts_an_idempotency_key(api, w):
    send(w.clerk, 2)
    ids = list(Notification.objects.filter(recipient=w.clerk).values_list("pk", flat=True))
    first = api.clerk.post(READ, {"ids": ids[:1]}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = api.clerk.post(READ, {"ids": ids[:1]}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.json() == again.json() == {"marked": 1, "unread": 1}
    assert again["Idempotent-Replayed"] == "true"


def test_a_worker_opts_in_to_the_weekly_digest_and_other_roles_get_not_a_worker(api, w):
    assert api.worker.get(SETTINGS).json() == {"weekly_digest": False}
    assert api.worker.put(SETTINGS, {"weekly_digest": True}, format="json").json() == {"weekly_digest": True}
    assert api.worker.get(SETTINGS).json() == {"weekly_digest": True}
    for role in ("clerk", "reviewer", "staff"):
        response = getattr(api, role).put(SETTINGS, {"weekly_digest": True}, format="json")
        assert response.status_code == 400 and response.json()["error"]["code"] == "not_a_worker"
        assert getattr(api, role).put(SETTINGS, {"weekly_digest": False}, format="json").status_code == 200
    assert api.worker.put(SETTINGS, {}, format="json").json()["error"]["code"] == "validation_error"
    for not_a_boolean in ("yes please", 0, 1, "true", None):
        response = api.worker.put(SETTINGS, {"weekly_digest": not_a_boolean}, format="json")
        assert response.status_code == 400 and response.json()["error"]["code"] == "validation_error"
    assert api.worker.put(SETTINGS, {"weekly_digest": True, "x": 1}, format="json").json()["error"]["code"] \
        == "unknown_field"


def queries(client, method, url, body=None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(url, body, format="json")
    assert response.status_code == 200, response.content
    return len(captured)


def test_each_endpoint_makes_a_pinned_number_of_queries_whatever_the_number_of_messages(api, w):
    # the token (one), then the endpoint's own
    pins = [("get", LIST, None, 2), ("get", UNREAD, None, 2), ("get", SETTINGS, None, 2),
            ("post", READ, {"all": True}, 3)]
    send(w.clerk, 3)
    small = [queries(api.clerk, method, url, body) for method, url, body, _ in pins]
    send(w.clerk, 80)
    large = [queries(api.clerk, method, url, body) for method, url, body, _ in pins]
    assert small == large == [pin for *_, pin in pins]


def test_the_endpoints_are_in_the_schema(api):
    schema = api.anon.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").content.decode()
    for path in ("/api/v1/me/notifications/", "/api/v1/me/notifications/read/",
                 "/api/v1/me/notifications/unread-count/", "/api/v1/me/notification-settings/"):
        assert path in schema


def test_a_message_is_worded_in_the_requests_language(api, w):
    facts = {"n": 2, "reason": "公里数有误"}
    notifications.notify(recipient_ids=[w.clerk.pk], kind=NotificationKind.ENTRIES_REJECTED, facts=facts)
    assert written_text(NotificationKind.ENTRIES_REJECTED, facts).title == "您录入的 2 条被驳回"
    for language, title, body in (("en", "2 of your entries were rejected", "Reason: 公里数有误"),
                                  ("zh-hans", "您录入的 2 条被驳回", "驳回原因：公里数有误")):
        [row] = api.clerk.get(LIST, HTTP_ACCEPT_LANGUAGE=language).json()["results"]
        assert (row["title"], row["body"]) == (title, body)

"""The 企业微信 group robot adapter against a local fake robot: a real HTTP server in a thread that can be told
to fail; the send task's retry path run for real; the URL (it holds the key) validated and kept out of logs."""

from __future__ import annotations

import json
import logging
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from config import wecom
from members import notifications, tasks
from members.models import NotificationKind, WecomRobot
from reviews import services, workflow
from reviews.models import EntryStatus, WorkEntry

pytestmark = pytest.mark.django_db

K = NotificationKind
KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"


class FakeRobot:
    """Answers each POST with the next of ``answers`` (status, body), the last one repeated."""

    def __init__(self):
        self.answers: list[tuple[int, dict]] = [(200, {"errcode": 0, "errmsg": "ok"})]
        self.received: list[dict] = []
        self.paths: list[str] = []
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                robot.received.append(json.loads(self.rfile.read(length)))
                robot.paths.append(self.path)
                status, body = robot.answers.pop(0) if len(robot.answers) > 1 else robot.answers[0]
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/cgi-bin/webhook/send?key={KEY}"


@pytest.fixture
def fake(settings):
    robot = FakeRobot()
    settings.WECOM_WEBHOOK_TEST_HOSTS = [f"127.0.0.1:{robot.server.server_port}"]
    robot.thread.start()
    yield robot
    robot.server.shutdown()
    robot.server.server_close()


@pytest.fixture
def retries():
    """An eagerly run task that fails is retried by Celery's own retry path (Task.retry → apply again) rather
    than raising into the test, as a worker would."""
    conf = tasks.wecom_send.app.conf
    before = conf.task_eager_propagates
    conf.task_eager_propagates = False
    yield
    conf.task_eager_propagates = before


@pytest.fixture
def run_sends(monkeypatch):
    monkeypatch.setattr(tasks.wecom_send, "delay",
                        lambda *a, **kw: tasks.wecom_send.apply(args=a, kwargs=kw))


def robot(w, fake, **kw) -> WecomRobot:
    kw.setdefault("depot", w.depot)
    kw.setdefault("enabled", True)
    kw.setdefault("kinds", [K.ENTRIES_REJECTED, K.PUBLIC_NOTICE])
    return WecomRobot.objects.create(name="机务段群", url=fake.url, **kw)


# -- the URL ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc",  # not https
    "https://qyapi.weixin.qq.com.evil.example/cgi-bin/webhook/send?key=abc",
    "https://evil.example/cgi-bin/webhook/send?key=abc",
    "https://user:pw@qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc",
    "https://qyapi.weixin.qq.com:8443/cgi-bin/webhook/send?key=abc",
    "https://qyapi.weixin.qq.com/cgi-bin/webhook/send",  # no key
    "https://qyapi.weixin.qq.com/cgi-bin/other?key=abc",
    "file:///etc/passwd", "", "https://[::1", "http://127.0.0.1:8080/cgi-bin/webhook/send?key=abc",
])
def test_only_https_urls_of_the_wecom_host_are_accepted(url):
    with pytest.raises(wecom.WebhookUrlInvalid):
        wecom.validate_webhook_url(url)


def test_the_wecom_url_and_a_listed_test_host_are_accepted(settings):
    good = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"
    assert wecom.validate_webhook_url(f" {good} ") == good
    settings.WECOM_WEBHOOK_TEST_HOSTS = ["127.0.0.1:8080"]
    assert wecom.validate_webhook_url("http://127.0.0.1:8080/hook") == "http://127.0.0.1:8080/hook"
    with pytest.raises(wecom.WebhookUrlInvalid):
        wecom.validate_webhook_url("http://127.0.0.1:9090/hook")  # another port is another host


def test_the_admin_model_refuses_a_bad_url_a_unit_that_is_not_a_depot_and_personal_kinds(w):
    bad = WecomRobot(depot=w.depot, name="群", url="https://evil.example/x?key=1")
    with pytest.raises(ValidationError) as error:
        bad.full_clean()
    assert "url" in error.value.message_dict
    workshop = WecomRobot(depot=w.workshop, name="群", url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=1")
    with pytest.raises(ValidationError) as error:
        workshop.full_clean()
    assert "depot" in error.value.message_dict
    personal = WecomRobot(depot=w.depot, name="群", url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=1",
                          kinds=[K.DISPUTE_ANSWERED])
    with pytest.raises(ValidationError) as error:
        personal.full_clean()
    assert "kinds" in error.value.message_dict
    assert WecomRobot._meta.get_field("enabled").default is False  # off until staff switch it on


# -- sending ----------------------------------------------------------------------------------------------

def test_a_failed_send_is_retried_and_the_retry_delivers_the_message(w, fake, retries, caplog):
    # given a robot whose endpoint fails once (HTTP 502), then succeeds
    fake.answers = [(502, {"errmsg": "bad gateway"}), (200, {"errcode": 0, "errmsg": "ok"})]
    target = robot(w, fake)

    # when the task runs (the retry is run by Celery's own retry path)
    with caplog.at_level(logging.DEBUG):
        result = tasks.wecom_send.apply(args=[target.pk, "本站段 2 条录入被驳回", "驳回原因：[重复]", "/entries/"])

    # then the endpoint saw the message twice, in the robot's markdown format, and the robot records success
    assert result.successful() and result.get() is True
    assert len(fake.received) == 2
    assert fake.received[0] == fake.received[1]
    message = fake.received[1]
    assert message["msgtype"] == "markdown"
    assert message["markdown"]["content"].startswith("**本站段 2 条录入被驳回**\n驳回原因：［重复］")
    target.refresh_from_db()
    assert target.last_sent_at is not None and target.last_error == ""
    assert target.last_error_at is not None  # the first attempt's failure was recorded
    # and the key never reached a log line
    assert KEY not in caplog.text
    assert "HTTP 502" in caplog.text


def test_a_refusal_that_a_retry_cannot_cure_is_not_retried_and_is_recorded(w, fake, retries, caplog):
    fake.answers = [(200, {"errcode": 93000, "errmsg": "invalid webhook url"})]
    target = robot(w, fake)
    with caplog.at_level(logging.DEBUG):
        result = tasks.wecom_send.apply(args=[target.pk, "标题", "正文"])
    assert result.failed()
    assert len(fake.received) == 1
    target.refresh_from_db()
    assert target.last_error == "errcode 93000" and target.last_sent_at is None
    assert KEY not in caplog.text


def test_rate_limiting_and_an_unreachable_robot_are_retried(w, fake, retries, settings):
    fake.answers = [(200, {"errcode": 45009, "errmsg": "api freq out of limit"}), (200, {"errcode": 0})]
    target = robot(w, fake)
    tasks.wecom_send.apply(args=[target.pk, "标题", "正文"])
    assert len(fake.received) == 2
    # a robot nobody answers: every attempt fails, the last error says why (and not where)
    settings.WECOM_WEBHOOK_TEST_HOSTS = ["127.0.0.1:9"]
    WecomRobot.objects.filter(pk=target.pk).update(url=f"http://127.0.0.1:9/cgi-bin/webhook/send?key={KEY}")
    result = tasks.wecom_send.apply(args=[target.pk, "标题", "正文"])
    assert result.failed() and isinstance(result.result, wecom.WecomRetry)
    target.refresh_from_db()
    assert target.last_error.startswith("network:") and KEY not in target.last_error


def test_a_disabled_or_deleted_robot_sends_nothing(w, fake):
    target = robot(w, fake, enabled=False)
    assert tasks.wecom_send.apply(args=[target.pk, "标题", "正文"]).get() is False
    assert tasks.wecom_send.apply(args=[987654, "标题", "正文"]).get() is False
    assert fake.received == []


# -- which robots hear of an event ------------------------------------------------------------------------

def test_a_rejection_reaches_the_robots_of_the_rejected_entries_depots_that_relay_it_after_commit(
        w, f, fake, run_sends, today, django_capture_on_commit_callbacks):
    # given robots: the clerk's depot (enabled, relays rejections), the same depot switched off, the same
    # depot relaying 公示 only, and the other depot's (none of whose entries is rejected)
    relays = robot(w, fake)
    robot(w, fake, enabled=False)
    robot(w, fake, kinds=[K.PUBLIC_NOTICE])
    robot(w, fake, depot=w.other_depot)
    day = today - timedelta(days=1)
    entries = [services.entry_create(actor=w.clerk, competition=w.comp, worker_id=worker.pk, rule_id=w.km.pk,
                                     work_date=day, quantity="10") for worker in (w.alice, w.bob)]

    # when the reviewer rejects both: nothing is sent before the commit
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        workflow.entries_transition(actor=w.reviewer, entries=WorkEntry.objects.filter(pk__in=[e.pk for e in entries]),
                                    to_status=EntryStatus.REJECTED, reason="重复录入")
    assert fake.received == []
    for callback in callbacks:
        callback()

    # then one message reached the one robot that relays rejections for that depot
    assert len(fake.received) == 1
    assert fake.received[0]["markdown"]["content"] == "**本站段 2 条录入被驳回**\n驳回原因：重复录入"
    relays.refresh_from_db()
    assert relays.last_sent_at is not None


def test_a_broker_that_is_away_never_fails_the_rejection(w, fake, monkeypatch, today,
                                                         django_capture_on_commit_callbacks):
    robot(w, fake)

    def broker_away(*args, **kwargs):
        raise ConnectionError("redis away")

    monkeypatch.setattr(tasks.wecom_send, "delay", broker_away)
    entry = services.entry_create(actor=w.clerk, competition=w.comp, worker_id=w.alice.pk, rule_id=w.km.pk,
                                  work_date=today - timedelta(days=1), quantity="10")
    with django_capture_on_commit_callbacks(execute=True):
        workflow.entry_transition(actor=w.reviewer, entry=entry, to_status=EntryStatus.REJECTED, reason="重复")
    entry.refresh_from_db()
    assert entry.status == EntryStatus.REJECTED


def test_a_public_notice_reaches_the_robots_of_depots_taking_part(w, f, fake, run_sends,
                                                                  django_capture_on_commit_callbacks):
    from competitions.honours.models import RoundStatus
    from tests.competitions import honours_public_data

    relays = robot(w, fake, kinds=[K.PUBLIC_NOTICE])
    elsewhere = f.depot(name="不参赛的站段")
    robot(w, fake, depot=elsewhere, kinds=[K.PUBLIC_NOTICE])
    now = timezone.now()
    round_ = honours_public_data.award_round(w.comp, "一季度先进个人", status=RoundStatus.PUBLICIZED,
                                             publicity=(now, now + timedelta(days=7)))
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications.wecom_announce(kind=K.PUBLIC_NOTICE, competition_id=w.comp.pk, title="t") == 1
        notifications.public_notice_announce(round_=round_)
    assert len(fake.received) == 2
    assert fake.received[1]["markdown"]["content"].startswith("**一季度先进个人 公示开始**")
    relays.refresh_from_db()
    assert relays.last_sent_at is not None
    # personal kinds never go to a group
    assert notifications.wecom_announce(kind=K.DISPUTE_ANSWERED, depot_ids=[w.depot.pk], title="t") == 0


def test_staff_configure_a_robot_in_the_admin_and_the_list_never_shows_its_key(admin_client, w):
    add = "/admin/members/wecomrobot/add/"
    form = {"depot": w.depot.pk, "name": "机务段群", "url": "https://evil.example/cgi-bin/webhook/send?key=abc",
            "kinds": [K.ENTRIES_REJECTED]}
    response = admin_client.post(add, form)
    assert response.status_code == 200 and "企业微信" in response.content.decode()  # the form again, with the error
    assert not WecomRobot.objects.exists()
    # a dispute's answer is personal: not offered for a group
    assert f'value="{K.DISPUTE_ANSWERED}"' not in admin_client.get(add).content.decode()

    form["url"] = f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={KEY}"
    assert admin_client.post(add, form).status_code == 302
    robot = WecomRobot.objects.get()
    assert robot.kinds == [K.ENTRIES_REJECTED] and robot.enabled is False  # off until switched on
    listing = admin_client.get("/admin/members/wecomrobot/").content.decode()
    assert "机务段群" in listing and "录入被驳回" in listing and KEY not in listing

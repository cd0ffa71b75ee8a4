"""The outbound adapter for 企业微信 (WeCom) group robots: a depot's group chat receives some notifications.

A group robot is a webhook: ``POST https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=<key>`` with a JSON
body ``{"msgtype": "markdown", "markdown": {"content": "…"}}`` (or ``"text"``), answered by HTTP 200 and
``{"errcode": 0, "errmsg": "ok"}``; a non-zero errcode is a refusal (45009: too many messages a minute).

The key in the URL lets anyone post to the group, so the URL is validated before it is stored (https, the
WeCom host; ``WECOM_WEBHOOK_TEST_HOSTS`` lists extra hosts, http allowed, for a local fake endpoint in tests)
and never appears in a log line, an exception or a task's arguments: tasks carry the robot's id and load
the URL themselves (members.tasks.wecom_send), and every error raised here names only what went wrong.

Sending happens only in Celery (members.tasks), with retries and backoff: ``WecomRetry`` is an error worth
retrying (the network, a 5xx, rate limiting), ``WecomRefused`` one that a retry would not cure.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.utils.translation import gettext_lazy as _

WECOM_HOST = "qyapi.weixin.qq.com"
WECOM_PATH = "/cgi-bin/webhook/send"
TIMEOUT_SECONDS = 5
# The robot accepts at most 4096 bytes of markdown content; longer text is cut, not refused.
MAX_CONTENT_BYTES = 4096
# errcodes that mean "later": the minute's quota (45009) and a busy system (-1).
RETRYABLE_ERRCODES = {45009, -1}


class WebhookUrlInvalid(ValueError):
    def __init__(self, message):
        self.message = message
        super().__init__(str(message))


class WecomError(Exception):
    """A failed send. The message names the failure only (never the URL: it holds the key)."""


class WecomRetry(WecomError):
    pass


class WecomRefused(WecomError):
    pass


def _test_hosts() -> set[str]:
    return {host.lower() for host in getattr(settings, "WECOM_WEBHOOK_TEST_HOSTS", [])}


def validate_webhook_url(url: str) -> str:
    """The URL as stored, or WebhookUrlInvalid: https to the WeCom host with a ``key``, or any URL on one of
    the test hosts (host or host:port)."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise WebhookUrlInvalid(_("Webhook 地址格式不正确。")) from None
    host = (parts.hostname or "").lower()
    netloc = f"{host}:{port}" if port else host
    if host and (netloc in _test_hosts() or host in _test_hosts()) and parts.scheme in ("http", "https"):
        return url
    if parts.scheme != "https":
        raise WebhookUrlInvalid(_("Webhook 地址必须以 https:// 开头。"))
    if host != WECOM_HOST or port not in (None, 443) or parts.username or parts.password:
        raise WebhookUrlInvalid(_("Webhook 地址必须是企业微信的 https://qyapi.weixin.qq.com/…"))
    if parts.path != WECOM_PATH or not parse_qs(parts.query).get("key"):
        raise WebhookUrlInvalid(_("Webhook 地址应为 https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…"))
    return url


def markdown_message(title: str, body: str, link: str = "") -> dict:
    """The robot's markdown message: the title in bold, the body, and the portal link when there is one."""
    lines = [f"**{_plain(title)}**", _plain(body)]
    if link:
        base = getattr(settings, "PORTAL_BASE_URL", "").rstrip("/")
        if base:
            lines.append(f"[{_('打开门户查看')}]({base}{link})")
    content = "\n".join(line for line in lines if line)
    encoded = content.encode("utf-8")
    if len(encoded) > MAX_CONTENT_BYTES:
        content = encoded[:MAX_CONTENT_BYTES - 3].decode("utf-8", "ignore") + "…"
    return {"msgtype": "markdown", "markdown": {"content": content}}


def _plain(text: str) -> str:
    # Text from people (a rejection's reason) must not turn into markdown links or mentions in the group.
    return str(text).replace("[", "［").replace("]", "］").replace("<", "＜").replace(">", "＞")


def send(url: str, message: dict) -> None:
    """POSTs ``message`` to a validated robot URL; raises WecomRetry or WecomRefused on failure."""
    url = validate_webhook_url(url)
    request = urllib.request.Request(url, data=json.dumps(message, ensure_ascii=False).encode("utf-8"),  # noqa: S310
                                     headers={"Content-Type": "application/json; charset=utf-8"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 (scheme checked)
            raw = response.read(64 * 1024)
    except urllib.error.HTTPError as error:
        if error.code >= 500 or error.code == 429:
            raise WecomRetry(f"HTTP {error.code}") from None
        raise WecomRefused(f"HTTP {error.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise WecomRetry(f"network: {type(reason).__name__}") from None
    try:
        answer = json.loads(raw)
        errcode = int(answer.get("errcode", 0))
    except (ValueError, TypeError, AttributeError):
        raise WecomRetry("unreadable answer") from None
    if errcode in RETRYABLE_ERRCODES:
        raise WecomRetry(f"errcode {errcode}")
    if errcode != 0:
        raise WecomRefused(f"errcode {errcode}")

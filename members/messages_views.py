"""The message centre (消息中心): a person's notifications, newest first and the unread ones marked; mark read,
mark all read, and a worker's weekly digest opt-in. Every signed-in person has one, whatever their roles."""

from __future__ import annotations

from django.contrib import messages as flash
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from config import cursors
from config.gate import signed_in_page
from members import notifications
from members.models import Notification

PAGE = 30
CURSOR_SALT = "portal.messages"


@signed_in_page
def message_list(request):
    """Keyset-paged by id (newest first): ``?after=`` is the opaque cursor of the last message shown; a bad
    one shows the first page."""
    rows = Notification.objects.visible_to(request.user).order_by("-id")
    after = request.GET.get("after")
    if after:
        try:
            (last_id,) = cursors.decode(CURSOR_SALT, after, int)
        except cursors.InvalidCursor:
            return redirect("messages:list")
        rows = rows.filter(id__lt=last_id)
    page = list(rows.only("id", "kind", "title", "body", "params", "link", "created_at", "read_at")[:PAGE + 1])
    more = len(page) > PAGE
    page = page[:PAGE]
    return render(request, "members/messages.html", {
        "notifications": page,
        "next_cursor": cursors.encode(CURSOR_SALT, page[-1].pk) if more else None,
        "first_page": not after,
        "unread": notifications.unread_count(request.user),
        "unread_shown": notifications.UNREAD_SHOWN,
        "is_worker": request.scope.is_worker,
        "weekly_digest": request.scope.is_worker and notifications.weekly_digest_wanted(request.user),
    })


def _back(request):
    # Back to the page the form was on (a later page keeps its cursor); only a path of the message centre.
    after = request.POST.get("after", "")
    response = redirect("messages:list")
    try:
        cursors.decode(CURSOR_SALT, after, int)
    except cursors.InvalidCursor:
        return response
    response["Location"] += f"?after={after}"
    return response


@require_POST
@signed_in_page
def message_read(request, pk: int):
    """Marks one message read; someone else's (or a missing one) changes nothing, the same as a read one."""
    notifications.notifications_mark_read(user=request.user, ids=[pk])
    return _back(request)


@require_POST
@signed_in_page
def message_read_all(request):
    done = notifications.notifications_mark_all_read(user=request.user)
    flash.success(request, ngettext("已将 %(n)s 条消息标为已读。", "已将 %(n)s 条消息标为已读。", done) % {"n": done})
    return redirect("messages:list")


@require_POST
@signed_in_page
def message_settings(request):
    wanted = request.POST.get("weekly_digest") == "on"
    try:
        notifications.weekly_digest_set(user=request.user, wanted=wanted)
    except notifications.NotAWorker:
        flash.error(request, _("每周排名变化只发给参加竞赛的职工。"))
    else:
        flash.success(request, _("已订阅每周排名变化。") if wanted else _("已取消订阅每周排名变化。"))
    return redirect("messages:list")

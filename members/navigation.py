"""The portal's navigation: one list, shown by role. A person with several roles sees every part of
theirs and moves between them without logging in again."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from members.scope import Scope, scope_of

ROLES = ("worker", "clerk", "reviewer", "staff", "union")


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: str
    role: str  # worker / clerk / reviewer / staff / union


# Worker items first: home_url_for sends a person to their first role's page, and a clerk or reviewer
# who is also a worker most often opens the portal to see their own rank.
NAV: list[NavItem] = [
    NavItem("me", _("我的"), "worker"),
    NavItem("leaderboard", _("排行榜"), "worker"),
    NavItem("my_entries", _("我的录入"), "worker"),
    NavItem("entries:list", _("录入"), "clerk"),
    NavItem("entries:disputes", _("申诉处理"), "clerk"),
    NavItem("review:queue", _("审核"), "reviewer"),
    NavItem("admin:index", _("管理后台"), "staff"),
    NavItem("workspace:day", _("排名工作台"), "staff"),
    NavItem("honours:rounds", _("评选表彰"), "staff"),
    NavItem("dashboard", _("数据看板"), "staff"),
]

# 公示 is for everyone taking part, whatever their role (one item per role; portal_nav shows it once).
NAV += [NavItem("honours_public:public_lists", _("公示"), role) for role in ROLES]


# The message centre, for every role; its item carries the unread count (portal_nav).
NAV += [NavItem("messages:list", _("消息"), role) for role in ROLES]


def holds(scope: Scope, role: str) -> bool:
    return {
        "worker": scope.is_worker, "clerk": scope.is_clerk, "reviewer": scope.is_reviewer, "staff": scope.is_staff,
        "union": scope.is_union_officer,
    }[role]


def portal_nav(request) -> dict:
    """Context processor: the nav items of the signed-in person, the current one marked."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"portal_nav": []}
    scope = scope_of(user)
    items = [{"url": reverse(item.url_name), "label": item.label, "active": False}
             for item in NAV if holds(scope, item.role)]
    items = list({item["url"]: item for item in items}.values())  # an item of several roles, once
    # The longest matching prefix is the current page: /me/entries/ is "my entries", not "my page".
    current = max((i for i in items if request.path.startswith(i["url"])), key=lambda i: len(i["url"]),
                  default=None)
    if current is not None:
        current["active"] = True
    messages_url = reverse("messages:list")
    for item in items:
        if item["url"] == messages_url:
            # Lazy: counted when a page draws the navigation (the admin's pages never do).
            item["badge"] = SimpleLazyObject(lambda: _unread_badge(user))
    return {"portal_nav": items}


def _unread_badge(user) -> str:
    """The unread count as the navigation shows it ("" for none, "99+" beyond 99): one query of the partial
    index of unread messages (members.notifications.unread_count)."""
    from members.notifications import UNREAD_SHOWN, unread_count

    count = unread_count(user)
    if not count:
        return ""
    return f"{UNREAD_SHOWN}+" if count > UNREAD_SHOWN else str(count)


# Pages every role has: a person's home is one of their role's own pages when they have one (a union officer
# lands on the applications waiting for them, not on 公示).
SHARED = {"honours_public:public_lists", "messages:list"}


def home_url_for(user) -> str:
    """Where "/" takes a person: their first role's page."""
    scope = scope_of(user)
    held = [item for item in NAV if holds(scope, item.role)]
    own = [item for item in held if item.url_name not in SHARED]
    for item in own or held:
        return reverse(item.url_name)
    return reverse("no_role")

# Union membership: the worker's own status and card; the union office's applications (a clerk submits
# and follows their units' forms there; union officers and staff decide).
NAV += [
    NavItem("my_membership", _("我的会籍"), "worker"),
    NavItem("union:applications", _("入会登记"), "clerk"),
    NavItem("union:applications", _("入会审批"), "union"),
    NavItem("union:applications", _("会员管理"), "staff"),
]

# Skill grades (新八级工) are entered by the units' clerks and union officers and by union staff; membership
# statistics are for union staff.
NAV += [NavItem("skills:certificates", _("技能等级"), role) for role in ("clerk", "union", "staff")]
NAV += [NavItem("statistics:index", _("会员统计"), "staff")]

# The history of background jobs (imports, approvals, exports), for the roles that start them; the page is
# open to every signed-in person, a worker included (one item per role; portal_nav shows it once).
NAV += [NavItem("jobs:list", pgettext_lazy("history", "后台任务"), role) for role in ("clerk", "reviewer", "staff")]

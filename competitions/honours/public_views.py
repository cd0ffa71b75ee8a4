"""The 公示 pages every person taking part in a competition reads on their phone: the lists in publicity
and the final lists, an objection (异议) against a nominee while publicity runs, "my objections" with the
staff's answers, and a worker's own honours.

Which rounds, nominees and objections a person may see is the querysets' (``visible_to``); whether an
objection may be raised is the service's. These pages only choose what to print: a nominee's full name,
employee number, unit and job type, as 公示 requires, and never an ID number or a phone number (no
Worker object reaches a template; the rows are plain dicts built from named columns).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from competitions.honours import public
from competitions.honours.models import Nominee
from config import cursors
from config.gate import portal_view
from reviews.views import _after, _id_param  # the portal's one reading of a form id and a page cursor
from reviews.workflow import TransitionRefused

# Everyone signed in may open the 公示 pages (what they see is decided by visible_to); "my honours"
# needs a worker, whose honours they are.
public_page = portal_view(roles=None)
public_competition_page = portal_view(roles=None, competition=True)
own_honours_page = portal_view(roles=("worker",))

NOMINEES_PAGE = 100  # a list of 70 honoured people fits one page; longer lists page by position
OWN_PAGE = 30


@public_competition_page
def round_list(request):
    rounds = public.rounds_for(request.user, competition_id=request.competition.pk)
    return render(request, "competitions/honours/public/round_list.html", {
        "competition": request.competition, "rounds": rounds,
        "is_worker": request.worker_id is not None,
    })


@public_page
def round_detail(request, pk: int):
    award_round = public.round_for(request.user, pk)
    if award_round is None:
        raise Http404
    if request.method == "POST":
        return _raise_objection(request, award_round)
    after = _after(request, public.nominee_cursor_salt(award_round.pk), int, int)
    rows = public.nominee_rows(request.user, award_round, after=after, limit=NOMINEES_PAGE + 1)
    more, rows = len(rows) > NOMINEES_PAGE, rows[:NOMINEES_PAGE]
    mine = public.open_objection_nominee_ids(request.user, award_round) if award_round.objections_open else set()
    for row in rows:
        row["objected"] = row["id"] in mine
    return render(request, "competitions/honours/public/round_detail.html", {
        "round": award_round, "rows": rows, "paged": after is not None,
        "next_after": cursors.encode(public.nominee_cursor_salt(award_round.pk), rows[-1]["position"],
                                     rows[-1]["id"]) if more else None,
        "reason_max_length": public.REASON_MAX_LENGTH,
    })


def _raise_objection(request, award_round):
    """The objection form's POST: the service decides whether it may be raised (the 公示 running, a reason,
    not twice); its refusal becomes the page's message, and nothing is saved."""
    try:
        public.objection_raise(request.user, award_round, nominee_id=_id_param(request.POST.get("nominee")),
                               reason=request.POST.get("reason", ""))
    except Nominee.DoesNotExist:
        messages.error(request, _("名单中没有这位人选，请刷新页面后再试。"))
    except TransitionRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("异议已提交，工会核实后答复；答复可在“我的异议”中查看。"))
    return redirect("honours_public:public_round", pk=award_round.pk)


@public_page
def my_objections(request):
    salt = public.MY_OBJECTIONS_SALT
    after = _after(request, salt, int)
    rows = public.page_by_id(public.my_objections(request.user), after_id=after[0] if after else None,
                             limit=OWN_PAGE + 1, labels="objection")
    more, rows = len(rows) > OWN_PAGE, rows[:OWN_PAGE]
    return render(request, "competitions/honours/public/my_objections.html", {
        "rows": rows, "paged": after is not None,
        "next_after": cursors.encode(salt, rows[-1]["id"]) if more else None,
    })


@own_honours_page
def my_honours(request):
    salt = public.MY_HONOURS_SALT
    after = _after(request, salt, int)
    rows = public.page_by_id(public.my_honours(request.user, worker_id=request.worker_id),
                             after_id=after[0] if after else None, limit=OWN_PAGE + 1, labels="nominee")
    more, rows = len(rows) > OWN_PAGE, rows[:OWN_PAGE]
    return render(request, "competitions/honours/public/my_honours.html", {
        "rows": rows, "paged": after is not None,
        "next_after": cursors.encode(salt, rows[-1]["id"]) if more else None,
    })

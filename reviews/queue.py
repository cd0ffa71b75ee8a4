"""The review queue's selection: which entries the queue's filters pick, for a reviewer, in one business
system and month. The queue page lists them, and its 全部通过 approves all of them in the background
(reviews.jobs): both read the filters here, so the job approves exactly what the page showed.
"""

from __future__ import annotations

from datetime import date

from django.utils.translation import gettext as _

from config.formatting import display_date
from config.months import month_bounds
from config.text import typed_code
from members.models import Unit
from members.querysets import unit_subtree_q
from reviews.models import EntryStatus, WorkEntry

# The queue's filters, as the page's query string and the approve-all job's params name them. The
# worker filter is an employee number (工号), which the queue shows anyway: no personal data.
FILTERS = ("status", "unit", "job_type", "rule", "worker", "date", "flagged")


def queue_filters(values) -> dict[str, str]:
    """The filters of a query string or form (any mapping), as plain strings, empty ones left out: what
    an approve-all job keeps in its params and its once key."""
    return {name: str(values.get(name, "")).strip() for name in FILTERS if str(values.get(name, "")).strip()}


def queue_filters_checked(*, competition, system, filters) -> tuple[dict[str, str], list[str]]:
    """The queue's filters (queue_filters) with each that names nothing in ``system``'s queue left out, and
    a message for it: a depot, job type or metric of another business system (a crafted or stale link,
    which listed nothing under 全部), a status or day that is none. The page shows the messages in its
    filter form and keeps only what is left; the selection (queue_selection) reads what is left too, so the
    page, its export and its 全部通过 agree on what is selected. A query each for a unit, job type or
    metric given, none otherwise."""
    from competitions.models import JobType, ScoringRule
    from reviews.reports import system_depots
    from reviews.views import _id_param, drop_bad_date

    kept, errors = queue_filters(filters), []
    if "status" in kept and kept["status"] not in EntryStatus.values:
        errors.append(_("所选状态不存在，已显示待审核的录入。"))
        del kept["status"]
    if "unit" in kept:
        unit = _id_param(kept["unit"])
        depot = Unit.objects.filter(pk=unit).values_list("depot_id", flat=True).first() if unit else None
        if depot is None or not system_depots(system).filter(pk=depot).exists():
            errors.append(_("所选站段不在本业务系统中，已取消该筛选。"))
            del kept["unit"]
    if "job_type" in kept:
        job_type = _id_param(kept["job_type"])
        if job_type is None or not JobType.objects.filter(pk=job_type, business_system=system).exists():
            errors.append(_("所选工种不在本业务系统中，已取消该筛选。"))
            del kept["job_type"]
    if "rule" in kept:
        rule = _id_param(kept["rule"])
        if rule is None or not ScoringRule.objects.filter(pk=rule, competition=competition,
                                                           job_type__business_system=system).exists():
            errors.append(_("所选指标不在本业务系统中，已取消该筛选。"))
            del kept["rule"]
    drop_bad_date(kept, errors)
    return kept, errors


def queue_selection(*, user, competition, system, month: date, filters) -> tuple:
    """(entries, status): the entries of the queue ``user`` may read (reviews.querysets.review_readable_by;
    whoever acts on them checks the reviewer grant for ``system`` first) that the queue's ``filters`` select (a mapping:
    a query string, a form, or a job's params) in ``system``'s ``month`` of ``competition``. Without a
    status filter, the pending ones. A filter that is not understood, or names nothing in ``system``, is
    left out, as on the page (queue_filters_checked)."""
    # The pages' readers of an id and a day, so a filter means here what it means on the page (imported
    # here: the views import this module).
    from reviews.views import _id_param, _parse_date

    filters, _errors = queue_filters_checked(competition=competition, system=system, filters=filters)
    status = filters.get("status") or EntryStatus.PENDING
    qs = WorkEntry.objects.review_readable_by(user)
    first, following = month_bounds(month)
    if status == EntryStatus.PENDING:
        # Through the queue table's index (see PendingEntry): no scan of the month's reviewed entries. The
        # work dates (a queue row's month is its entry's) keep the join to the month's partition.
        qs = qs.filter(pending__business_system_id=system.pk, pending__competition_id=competition.pk,
                       pending__month=month, work_date__gte=first, work_date__lt=following)
    else:
        qs = qs.filter(competition=competition, business_system=system, work_date__gte=first,
                       work_date__lt=following)
        if status in EntryStatus.values:
            qs = qs.in_shown_status([status])
    if (unit := _id_param(filters.get("unit"))) is not None:
        unit_obj = Unit.objects.filter(pk=unit).only("path").first()
        qs = qs.filter(unit_subtree_q([unit_obj.path] if unit_obj else [], "unit__path"))
    if (job_type := _id_param(filters.get("job_type"))) is not None:
        qs = qs.filter(job_type_id=job_type)
    if (rule := _id_param(filters.get("rule"))) is not None:
        qs = qs.filter(rule_id=rule)
    if emp := typed_code(filters.get("worker")):
        qs = qs.filter(worker__employee_no=emp)
    if day := _parse_date(filters.get("date")):
        qs = qs.filter(work_date=day)
    if filters.get("flagged") == "1":
        qs = qs.exclude(flags=0)
    return qs, status


def name_now(queryset, pk, *fields) -> str:
    """An object's name as it is now, for a line saying what a selection was made with: ``fields`` of the row
    ``pk`` of ``queryset`` joined by ·, or the id marked deleted. One query."""
    found = queryset.filter(pk=pk).values_list(*fields).first()
    return "·".join(found) if found else _("#%(id)s（已删除）") % {"id": pk}


def queue_filter_lines(filters) -> list[tuple[str, str]]:
    """The queue's ``filters`` as a person reads them, in the active language (the reader's): a (label,
    value) pair per filter that queue_selection applies, read as it reads them (one it does not understand
    is left out, as it is ignored there), the status always. Units, job types and metrics by their names
    as they are now (one query each that is set); the worker by the employee number the filter holds,
    nothing else of theirs."""
    from competitions.models import JobType, ScoringRule
    from reviews.views import _id_param, _parse_date

    status = filters.get("status") or EntryStatus.PENDING
    lines = [(_("状态"), EntryStatus(status).label if status in EntryStatus.values else _("全部"))]
    if (unit := _id_param(filters.get("unit"))) is not None:
        lines.append((_("站段"), name_now(Unit.objects, unit, "name")))
    if (job_type := _id_param(filters.get("job_type"))) is not None:
        lines.append((_("工种"), name_now(JobType.objects, job_type, "name")))
    if (rule := _id_param(filters.get("rule"))) is not None:
        lines.append((_("指标"), name_now(ScoringRule.objects, rule, "job_type__name", "metric")))
    if emp := typed_code(filters.get("worker")):
        lines.append((_("工号"), emp))
    if day := _parse_date(filters.get("date")):
        lines.append((_("日期"), display_date(day)))
    if filters.get("flagged") == "1":
        lines.append((_("只看提示"), _("是")))
    return lines

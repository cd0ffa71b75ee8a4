"""Award rounds in every state a 公示 reader meets, for the 公示 pages, the API and the browser test.

Built row by row (a shortlist's own arithmetic is tested with the shortlist): in ``w.comp``, a list in 公示
(alice and bob on it, carol taken off by the committee), a final list (alice and bob honoured), a draft
and a shortlist nobody but the committee may see; and a second
competition with its own list in 公示 and its own worker, dave, who takes part in it only.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

from django.utils import timezone

from competitions.honours import services
from competitions.honours.models import AwardRound, Nominee, NomineeStatus, RoundStatus
from competitions.models import PeriodSnapshot, SnapshotStatus

DIGEST = "3b9f" * 16


def snapshot(competition, start: date, end: date) -> PeriodSnapshot:
    return PeriodSnapshot.objects.create(competition=competition, start=start, end=end, signed_off_only=True,
                                         status=SnapshotStatus.READY, computed_at=timezone.now(), rows=3, digest=DIGEST)


def award_round(competition, name: str, *, status: str, publicity: tuple | None = None, **kw) -> AwardRound:
    """A round whose list is ``status``; ``publicity``: (start, end) of its 公示."""
    start, end = date(competition.start_date.year, 1, 1), date(competition.start_date.year, 3, 31)
    fields = {"competition": competition, "name": name, "basis_start": start, "basis_end": end, "quota_total": 2,
              "status": status, **kw}
    if status != RoundStatus.DRAFT:
        snap = snapshot(competition, start, end)
        fields.update(snapshot=snap, snapshot_digest=snap.digest)
    if publicity is not None:
        fields.update(publicity_start=publicity[0], publicity_end=publicity[1],
                      publicity_days=max(1, (publicity[1] - publicity[0]).days))
    return AwardRound.objects.create(**fields)


def nominee(round_: AwardRound, worker, position: int, approved: str, *, status=NomineeStatus.SHORTLISTED,
            reason: str = "", group: str = "") -> Nominee:
    """``worker`` on the list, with the copies of their name, number, units and job type the list keeps."""
    unit = worker.unit
    return Nominee.objects.create(
        round=round_, worker=worker, name=worker.name, employee_no=worker.employee_no,
        business_system_id=worker.job_type.business_system_id, job_type_id=worker.job_type_id,
        depot_id=unit.depot_id, team=unit, rank=position, points=Decimal(approved) + 5,
        approved_points=Decimal(approved), position=position, status=status, reason=reason, group_name=group,
        active_days=20, deductions=0)


def build(w, f) -> SimpleNamespace:
    now = timezone.now()
    ns = SimpleNamespace(now=now)
    # In 公示 for another six days (and a few hours): days_left reads 7.
    ns.publicized = award_round(w.comp, "一季度先进个人", status=RoundStatus.PUBLICIZED,
                                publicity=(now - timedelta(days=1), now + timedelta(days=6, hours=3)))
    ns.alice_on = nominee(ns.publicized, w.alice, 1, "180.500", group="机务")
    ns.bob_on = nominee(ns.publicized, w.bob, 2, "150", group="机务")
    ns.carol_off = nominee(ns.publicized, w.carol, 3, "120", status=NomineeStatus.REMOVED, reason="评委会复核：资料不全")

    # A list whose 公示 has ended, frozen as the final list.
    ns.finalized = award_round(w.comp, "上年度先进个人", status=RoundStatus.PUBLICIZED,
                               publicity=(now - timedelta(days=10), now - timedelta(days=3)))
    ns.alice_final = nominee(ns.finalized, w.alice, 1, "900")
    ns.bob_final = nominee(ns.finalized, w.bob, 2, "800")
    services.finalize(actor=w.staff, round_=ns.finalized)
    ns.finalized.refresh_from_db()

    ns.draft = award_round(w.comp, "筹备中的评选", status=RoundStatus.DRAFT)
    ns.shortlisted = award_round(w.comp, "初选中的评选", status=RoundStatus.SHORTLISTED)
    ns.alice_shortlisted = nominee(ns.shortlisted, w.alice, 1, "100")

    # Another competition (started earlier, so the portal's current competition stays w.comp), with its own
    # job type: dave takes part in it and not in w.comp, and alice not in it.
    ns.other_comp = f.competition(start=date(w.comp.start_date.year - 1, 1, 1), end=w.comp.end_date, name="津冀竞赛")
    signal = f.job_type(w.other_system, name="信号工")
    f.rule(ns.other_comp, signal, metric="设备检修", unit_of_measure="台")
    ns.dave = f.worker(w.other_depot, signal, name="赵六")
    ns.dave_user = f.worker_user(ns.dave)
    ns.other = award_round(ns.other_comp, "津冀一季度先进个人", status=RoundStatus.PUBLICIZED,
                           publicity=(now - timedelta(days=1), now + timedelta(days=2)))
    ns.dave_on = nominee(ns.other, ns.dave, 1, "300")
    return ns

"""A round's background jobs (RoundJob: who asked, when, how it ended, why it failed), and generating the
shortlist in the background (ShortlistRun); the documents of a finalized round are the other such job
(competitions.honours.documents.AwardDocuments).

The shortlist needs the period standings of the basis period (competitions.standings.periods: a few seconds
for 223,000 workers) and then the quotas and eligibility rules over them, longer than a web request should
take. So the round's page asks for it (``shortlist_start``: a ShortlistRun row, committed, then the Celery
task ``honours_shortlist_task``), the task calls the one service that makes the shortlist
(competitions.honours.shortlist.generate_shortlist) and records how it ended, and the page shows the run
(running, with the page refreshing itself; succeeded; or failed with the service's message).

A job killed outright cannot record its end; one still "running" after STALE is taken for dead and marked
failed by the next request or page view (mark_stale), so staff never wait on a job that is gone.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from competitions.honours.models import AwardRound, RoundStatus
from competitions.honours.services import RoundRefused, check_move
from competitions.honours.shortlist import generate_shortlist, refuse_basis_not_started
from config.stored_text import StoredText, as_stored, shown
from config.tasks import send_on_commit

logger = logging.getLogger(__name__)

# Far beyond a shortlist's seconds, within a coffee break.
STALE = timedelta(minutes=10)
STALE_ERROR = StoredText(gettext_noop("任务未能完成（进程中断），请重新发起。"))


class JobStatus(models.TextChoices):
    RUNNING = "running", _("进行中")
    SUCCEEDED = "succeeded", _("已完成")
    FAILED = "failed", _("失败")


class RoundJob(models.Model):
    """What every background job of a round records for staff: who asked and when, how it ended, why it
    failed: ``error`` worded in the portal's language, for the admin and for rows older than
    ``error_params``, its message id and facts, which ``error_text`` words in the reader's
    (config.stored_text)."""

    status = models.CharField(_("状态"), max_length=10, choices=JobStatus.choices, default=JobStatus.RUNNING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发起人"), null=True,
                                     on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("发起时间"))
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    error = models.TextField(_("错误"), blank=True)
    error_params = models.JSONField(_("错误参数"), default=dict, blank=True,
                                    db_default=models.Value({}, output_field=models.JSONField()))

    class Meta:
        abstract = True

    def finish(self, status: str, error: StoredText | str = "") -> None:
        """Records the end; ``error`` is stored in the portal's language whoever's request or task ends the
        job (its reader may read another), with its id and facts."""
        error = as_stored(error) if error else None
        self.status, self.finished_at = status, timezone.now()
        self.error, self.error_params = (error.written(), error.as_json()) if error else ("", {})

    @property
    def error_text(self) -> str:
        """Why the job failed, in the reader's (the active) language."""
        return shown(self.error_params, self.error)


def mark_unsent(model: type[RoundJob], pk: int) -> None:
    """The task queue could not take the job (config.tasks.send_on_commit): failed at once, saying so."""
    from competitions.jobs import QUEUE_DOWN

    model.objects.filter(pk=pk, status=JobStatus.RUNNING).update(
        status=JobStatus.FAILED, finished_at=timezone.now(), error=QUEUE_DOWN.written(),
        error_params=QUEUE_DOWN.as_json())


def mark_stale(model: type[RoundJob], **of_round) -> None:
    """Jobs still "running" after STALE died without recording it (a killed worker): marked failed."""
    now = timezone.now()
    model.objects.filter(status=JobStatus.RUNNING, requested_at__lt=now - STALE, **of_round).update(
        status=JobStatus.FAILED, finished_at=now, error=STALE_ERROR.written(), error_params=STALE_ERROR.as_json())


class ShortlistRun(RoundJob):
    """One request to generate a round's shortlist, as staff see it on the round's page."""

    round = models.ForeignKey(AwardRound, verbose_name=_("评选"), on_delete=models.CASCADE,
                              related_name="shortlist_runs")

    class Meta:
        verbose_name = _("初选名单生成记录")
        verbose_name_plural = _("初选名单生成记录")
        ordering = ["-requested_at", "-id"]
        constraints = [models.CheckConstraint(condition=models.Q(status__in=JobStatus.values),
                                              name="shortlistrun_status_valid")]
        indexes = [models.Index(fields=["round", "-requested_at"], name="shortlistrun_latest")]

    def __str__(self):
        return f"{self.round_id} {self.status}"


def latest_run(award_round: AwardRound) -> ShortlistRun | None:
    mark_stale(ShortlistRun, round_id=award_round.pk)
    return (ShortlistRun.objects.filter(round=award_round).select_related("requested_by")
            .order_by("-requested_at", "-id").first())


def shortlist_start(*, award_round: AwardRound, user) -> ShortlistRun:
    """Ask for the shortlist (after this transaction commits). Refused (RoundRefused, nothing written) when
    the round's state does not allow generating it, and while a run of it is still going."""
    from competitions.tasks import honours_shortlist_task

    with transaction.atomic():
        locked = AwardRound.objects.select_for_update().get(pk=award_round.pk)
        check_move(locked, RoundStatus.SHORTLISTED)
        refuse_basis_not_started(locked)
        mark_stale(ShortlistRun, round_id=locked.pk)
        if ShortlistRun.objects.filter(round=locked, status=JobStatus.RUNNING).exists():
            raise RoundRefused(gettext("初选名单正在生成，请稍候。"), "shortlist_running")
        run = ShortlistRun.objects.create(round=locked, requested_by=user, requested_at=timezone.now())
        run_id = run.pk
        send_on_commit(honours_shortlist_task, run_id, unsent=lambda: mark_unsent(ShortlistRun, run_id))
    return run


def shortlist_run(*, run_id: int) -> ShortlistRun | None:
    """Generate the shortlist of a requested run and record how it ended; None when the run is gone, nothing
    done when it already ended."""
    run = ShortlistRun.objects.select_related("round", "requested_by").filter(pk=run_id).first()
    if run is None or run.status != JobStatus.RUNNING:
        return run
    try:
        generate_shortlist(actor=run.requested_by, round_=run.round)
        run.finish(JobStatus.SUCCEEDED)
    except DatabaseError:
        raise  # retried by the task (config.tasks); the run stays "running" until then
    except RoundRefused as error:
        run.finish(JobStatus.FAILED, error.text)
    except Exception as error:
        logger.exception("honours: shortlist of round %s failed", run.round_id)
        run.finish(JobStatus.FAILED, f"{type(error).__name__}: {error}")
    run.save(update_fields=["status", "error", "error_params", "finished_at"])
    return run

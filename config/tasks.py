"""Celery task options, written once for every task that writes to the database.

Such a task rewrites its rows idempotently (a standings run replaces its day, the monthly merge skips a
merged month, the flags are recomputed from scratch), so the message can be acknowledged after the work
rather than before it: a worker killed mid-run leaves the message to be redelivered instead of lost. A
deadlock, a serialization failure or a restarting server is retried later, backing off with jitter so
that the tasks it failed together do not collide again.

A task states what it does differently from these as keyword arguments of ``db_task``, beside it.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import DatabaseError

logger = logging.getLogger(__name__)

DB_TASK_OPTIONS: dict[str, object] = {
    "ignore_result": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (DatabaseError,),
    "retry_backoff": 10,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 5,
}


def db_task(*, name: str, **differences):
    """``shared_task`` with DB_TASK_OPTIONS; ``differences`` override them for this one task."""
    unknown = differences.keys() - DB_TASK_OPTIONS.keys()
    if unknown:
        # A misspelt option would be passed to Celery silently and change nothing.
        raise TypeError(f"db_task: not a shared option: {', '.join(sorted(unknown))}")
    return shared_task(name=name, **{**DB_TASK_OPTIONS, **differences})


def send_on_commit(task, *args, unsent=None) -> None:
    """Sends ``task`` with ``args`` once the current transaction commits (at once outside one). A broker
    that cannot be reached (Redis away) is logged and ``unsent()`` is called, so that the record the
    page watches can say so instead of waiting for ever; the request that started it still succeeds."""
    from django.db import transaction

    def send():
        try:
            task.delay(*args)
        except Exception:  # kombu's OperationalError, or the Redis client's own errors: the broker is away
            logger.warning("task %s%r not sent: broker unavailable", task.name, args, exc_info=True)
            if unsent is not None:
                unsent()

    transaction.on_commit(send)


# Whether a Celery worker is listening: asked of the workers themselves (a broadcast ping over the broker),
# because a message the broker accepted says nothing of anyone taking it. A page that has just sent work
# asks, so that it can say "sent" only when something will run it; the answer waits at most
# WORKERS_PING_SECONDS and is kept for WORKERS_CACHE_SECONDS, so that a page pressed again, or by several
# staff, does not wait again.
WORKERS_PING_SECONDS = 1.0
WORKERS_CACHE_SECONDS = 15
WORKERS_CACHE_KEY = "celery:workers-listening"


def workers_listening() -> bool:
    """True when at least one Celery worker answered a ping within WORKERS_PING_SECONDS (cached), or when
    tasks run in this process (no broker: CELERY_TASK_ALWAYS_EAGER). Never raises: a broker that cannot
    be reached has no worker listening on it."""
    from django.core.cache import cache

    from config.celery_app import app

    if app.conf.task_always_eager:
        return True
    listening = cache.get(WORKERS_CACHE_KEY)
    if listening is None:
        try:
            listening = bool(app.control.ping(timeout=WORKERS_PING_SECONDS, limit=1))
        except Exception:  # kombu's OperationalError, or the Redis client's own errors: the broker is away
            logger.warning("celery workers not pinged: broker unavailable", exc_info=True)
            listening = False
        cache.set(WORKERS_CACHE_KEY, listening, WORKERS_CACHE_SECONDS)
    return listening


# Tasks that call another system over the network (a 企业微信 group robot): nothing of ours to roll back, so
# the message is acknowledged when taken (a worker lost mid-send must not post twice to a group); a refusal
# that may pass (the network, a 5xx, rate limiting) is retried with a growing, jittered delay, about an hour
# in all, after which the robot's last error says what happened.
OUTBOUND_TASK_OPTIONS: dict[str, object] = {
    "ignore_result": True,
    "acks_late": False,
    "retry_backoff": 30,
    "retry_backoff_max": 30 * 60,
    "retry_jitter": True,
    "max_retries": 6,
}


def outbound_task(*, name: str, retry_for: tuple[type[BaseException], ...]):
    """``shared_task`` with OUTBOUND_TASK_OPTIONS, retried automatically for the errors ``retry_for``."""
    return shared_task(name=name, autoretry_for=retry_for, **OUTBOUND_TASK_OPTIONS)

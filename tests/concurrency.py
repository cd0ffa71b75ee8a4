"""Real concurrency for tests: jobs in their own threads and database sessions, released together."""

from __future__ import annotations

import threading
import time

from django.db import connection


def race(*jobs):
    """Run each job in its own thread and database session, released together; their outcomes
    (the value returned or the exception raised), in order."""
    barrier = threading.Barrier(len(jobs))
    outcomes = [None] * len(jobs)

    def run(n, job):
        try:
            barrier.wait()
            outcomes[n] = job()
        except Exception as exc:  # noqa: BLE001 - the caller inspects it
            outcomes[n] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n, job)) for n, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def watch(read, *, until, every: float = 0.1) -> tuple[threading.Thread, list]:
    """Calls ``read()`` every ``every`` seconds in a thread and database session of its own, keeping each
    value, until ``until(value)``: what a page polling from another request sees while the test works.
    Returns the thread (join it) and the list of values seen."""
    seen: list = []

    def run():
        try:
            while True:
                seen.append(read())
                if until(seen[-1]):
                    break
                time.sleep(every)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, seen


def in_thread(results: dict, name: str, work) -> threading.Thread:
    """Starts ``work()`` in a thread and database session of its own; its value, or the exception it
    raised, lands in ``results[name]``. Join the thread before reading it."""
    def run():
        try:
            results[name] = work()
        except Exception as exc:  # noqa: BLE001 - the caller inspects it
            results[name] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def pause_after(monkeypatch, owner, name: str) -> tuple[threading.Event, threading.Event]:
    """Makes the method ``owner.name`` stop once it has run, until released: returns (inside, release),
    ``inside`` set when a call has reached the pause, the call going on once ``release`` is set. A write
    held there keeps what it has done so far uncommitted while the test does something else."""
    inside, release = threading.Event(), threading.Event()
    real = getattr(owner, name)

    def paused(*args, **kwargs):
        value = real(*args, **kwargs)
        inside.set()
        assert release.wait(20)
        return value

    monkeypatch.setattr(owner, name, paused)
    return inside, release

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

"""Real concurrency for tests: jobs in their own threads and database sessions, released together."""

from __future__ import annotations

import threading

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

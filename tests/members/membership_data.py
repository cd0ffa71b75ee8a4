"""The membership tests' small world: the entries world (tests/reviews/conftest.py) plus union officers,
a second worker with an account, and helpers that fill in a valid form for a worker."""

from __future__ import annotations

from members.membership import ApplicationInput
from members.validators import luhn_ok


def add_union(w, f):
    w.officer = f.user(username="officer")
    w.officer.union_units.set([w.depot])
    w.other_officer = f.user(username="officer2")
    w.other_officer.union_units.set([w.other_depot])
    w.bob_user = f.worker_user(w.bob)
    w.carol_user = f.worker_user(w.carol)
    return w


def gender_of(worker) -> str:
    return "M" if int(worker.id_number[16]) % 2 else "F"


def form_for(worker, **changes) -> ApplicationInput:
    values = {"worker_id": worker.pk, "name": worker.name, "gender": gender_of(worker), "id_number": worker.id_number,
              "mobile": "13800138000", "education": "college", "political_status": "masses", "job_title": "司机"}
    values.update(changes)
    return ApplicationInput(**values)


def post_data(worker, **changes) -> dict:
    form = form_for(worker, **changes)
    return {"name": form.name, "gender": form.gender, "id_number": form.id_number, "mobile": form.mobile,
            "education": form.education, "political_status": form.political_status, "job_title": form.job_title}


def card_number(n: int, length: int = 16) -> str:
    """A valid card number (Luhn) distinct for each n."""
    body = f"622202{n:0{length - 7}d}"
    for check in "0123456789":
        if luhn_ok(body + check):
            return body + check
    raise AssertionError("unreachable")

"""Employee numbers stored before members 0008 in a form no typed lookup finds (full-width characters, a
space, an invisible character), rewritten as the number a person types: ``manage.py normalise_employee_numbers``.

Why a command and not a data migration: the rewrite has cases a person must decide (two workers whose numbers
become one, or differ only by case, q0001 beside Q0001), and union staff need the list of them before anything
changes and again after they resolved some; a migration runs once, unattended, at a deploy. The command
reports first (the default is a dry run) and is safe to run again: a run rewrites only what is still in a bad
form and does not collide. There is no reverse: the old spellings are ones no lookup, login or import finds,
and the run's report (worker id, old spelling with its invisible characters written out, new number) is the
record of what changed.

Set-based: the candidates are found by one scan (the numbers that do not match the stored form), their
collisions by one query per batch of numbers through the index on UPPER(employee_no)
(WorkerQuerySet.numbered_any_case, the rule the admin and the import check), and the rewrite is one UPDATE per
batch.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from psycopg import sql

from config.text import typed_code
from members.models import User, Worker
from members.validators import EMPLOYEE_NO_PATTERN, validate_employee_no

BATCH = 5000


def batched(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def stored_form(number: str) -> str:
    """The number a stored spelling names: as a person types it (config.text.typed_code), and without a space
    inside it, which a stored number never holds (validate_employee_no): BJ 0044 11 was BJ004411 typed with
    spaces before the admin refused them."""
    return "".join(typed_code(number).split())


def shown(number: str) -> str:
    """A spelling as a report shows it: in quotes, with the characters that print as nothing written out
    (\\u200b), so that "Q0001\\u200b" and "Q0001" do not look the same."""
    return '"' + "".join(c if c == " " or (c.isprintable() and not unicodedata.category(c).startswith("Z"))
                         else f"\\u{ord(c):04x}" for c in number) + '"'


@dataclass(frozen=True)
class Rewrite:
    worker_id: int
    old: str
    new: str
    account_id: int | None = None  # the worker's login, renamed with the number


@dataclass(frozen=True)
class Conflict:
    worker_id: int
    old: str
    new: str
    reason: str  # what union staff have to decide, in a line


@dataclass
class Normalisation:
    scanned: int = 0  # workers on file
    rewrites: list[Rewrite] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    applied: bool = False


def _bad_spellings() -> list[tuple[int, str, int | None, str | None]]:
    # One scan: the numbers not in the stored form (a seq scan reads 223,000 short rows in well under a second).
    return list(Worker.objects.exclude(employee_no__regex=EMPLOYEE_NO_PATTERN)
                .order_by("pk").values_list("pk", "employee_no", "user_id", "user__username"))


def _on_file(keys: set[str], excluded: set[int]) -> dict[str, list[tuple[int, str]]]:
    """The workers (other than ``excluded``) whose number is one of ``keys`` in upper case, by that key."""
    found = defaultdict(list)
    for chunk in batched(sorted(keys), BATCH):
        for pk, number in Worker.objects.numbered_any_case(chunk).values_list("pk", "employee_no"):
            if pk not in excluded:
                found[number.upper()].append((pk, number))
    return found


def plan() -> Normalisation:
    """What a run would do, without writing."""
    result = Normalisation(scanned=Worker.objects.count())
    bad = _bad_spellings()
    targets = {}
    for pk, old, account_id, username in bad:
        new = stored_form(old)
        try:
            validate_employee_no(new)
            if len(new) > Worker._meta.get_field("employee_no").max_length:
                raise ValidationError("too long")
        except ValidationError:
            result.conflicts.append(Conflict(pk, old, new, "not a number even as typed: only letters, digits "
                                                            "and '-' are kept, fix it by hand"))
            continue
        targets[pk] = (old, new, account_id, username)
    by_key = defaultdict(list)
    for pk, (_old, new, _account, _username) in targets.items():
        by_key[new.upper()].append(pk)
    on_file = _on_file(set(by_key), excluded={pk for pk, *_ in bad})
    # A worker's login is named after the number (members.services.account_reset_password): renamed with it,
    # unless another account already holds that name.
    renames = {pk: (account_id, new) for pk, (_old, new, account_id, username) in targets.items()
               if account_id is not None and username != new and stored_form(username) == new}
    taken = dict(User.objects.filter(username__in=[new for _account, new in renames.values()])
                 .values_list("username", "pk"))
    for pk, (old, new, account_id, _username) in targets.items():
        key = new.upper()
        others = on_file.get(key, [])
        twins = [other for other in by_key[key] if other != pk]
        if others:
            described = "; ".join(f"worker {other} {number}" + ("" if number == new else ", differs only by case")
                                  for other, number in others)
            result.conflicts.append(Conflict(pk, old, new, f"already on file: {described}"))
        elif twins:
            described = ", ".join(f"worker {other} {shown(targets[other][0])}" for other in twins)
            result.conflicts.append(Conflict(pk, old, new, f"the same number (or differs only by case) as "
                                                           f"{described}, also stored in a bad form"))
        elif pk in renames and taken.get(new, account_id) != account_id:
            result.conflicts.append(Conflict(pk, old, new, f"the login name {new} belongs to another account "
                                                           f"({taken[new]})"))
        else:
            result.rewrites.append(Rewrite(pk, old, new, renames.get(pk, (None,))[0]))
    result.conflicts.sort(key=lambda c: c.worker_id)
    return result


_REWRITE = sql.SQL("UPDATE {table} AS t SET {column} = v.new{extra} FROM unnest(%s::bigint[], %s::text[]) "
                   "AS v(id, new) WHERE t.id = v.id")


def _update(table: str, column: str, pairs: list[tuple[int, str]], *, stamp: str = "") -> None:
    extra = sql.SQL(", {} = now()").format(sql.Identifier(stamp)) if stamp else sql.SQL("")
    statement = _REWRITE.format(table=sql.Identifier(table), column=sql.Identifier(column), extra=extra)
    with connection.cursor() as cursor:
        for chunk in batched(pairs, BATCH):
            cursor.execute(statement, [[pk for pk, _ in chunk], [new for _, new in chunk]])


@transaction.atomic
def employee_numbers_normalise(*, apply: bool = False) -> Normalisation:
    """Rewrites the workers' numbers stored in a bad form to the number they name, where that collides with
    no other worker's (case-only included) and the login named after it is free; reports the others.

    ``apply=False`` reports only. With ``apply``, workers are locked against writes for the run (SHARE ROW
    EXCLUSIVE: reads and the entries' references to workers go on) so that a number added meanwhile cannot
    collide with a rewrite unseen; all of it is one transaction."""
    if apply:
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE").format(
                sql.Identifier(Worker._meta.db_table)))
    result = plan()
    if apply and result.rewrites:
        _update(Worker._meta.db_table, "employee_no", [(r.worker_id, r.new) for r in result.rewrites],
                stamp="updated_at")
        _update(User._meta.db_table, "username", [(r.account_id, r.new) for r in result.rewrites if r.account_id])
    result.applied = apply
    return result

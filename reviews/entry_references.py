"""The database guard of the workers and scoring rules that entries name (``sql/entry_references.sql``):
reviews_workentry keeps no foreign key to them (WorkEntry says why), so their tables refuse to lose a row
an entry still names."""

from __future__ import annotations

from pathlib import Path

from psycopg import sql

from config.sqlfiles import SqlFile

FUNCTION = "reviews_entry_references"

# What the guard answers: a database error, seen only when a delete bypasses the admin, which refuses
# first (on_delete=PROTECT) with its own page.
MESSAGE = "%s %s 已有工作量录入，不能删除 (entries refer to it)"


def _values() -> dict[str, sql.Composable]:
    from competitions.models import ScoringRule
    from members.models import Worker
    from reviews.models import WorkEntry

    return {
        "function": sql.Identifier(FUNCTION),
        "entry_table": sql.Identifier(WorkEntry._meta.db_table),
        "worker_column": sql.Identifier(WorkEntry._meta.get_field("worker").column),
        "rule_column": sql.Identifier(WorkEntry._meta.get_field("rule").column),
        "worker_table": sql.Identifier(Worker._meta.db_table),
        "worker_table_name": sql.Literal(Worker._meta.db_table),
        "rule_table": sql.Identifier(ScoringRule._meta.db_table),
        "worker_trigger": sql.Identifier(f"{FUNCTION}_worker"),
        "rule_trigger": sql.Identifier(f"{FUNCTION}_rule"),
        "message": sql.Literal(MESSAGE),
    }


# Dropping the function drops its two triggers with it.
ENTRY_REFERENCES = SqlFile(path=Path(__file__).parent / "sql" / "entry_references.sql", values=_values,
                           drop="DROP FUNCTION {function}() CASCADE",
                           installed_by=("reviews", "0006_entry_references_by_trigger"), function=FUNCTION)

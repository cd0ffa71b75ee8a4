"""The database guard that freezes a finalized or cancelled award round (``sql/honours_frozen.sql``).

The services refuse first, with a translated message (services.RoundRefused); the trigger is what makes the
rule hold for every other path (the admin, a shell, raw SQL), so a final list cannot be edited afterwards.
"""

from __future__ import annotations

from pathlib import Path

from psycopg import sql

from config.sqlfiles import SqlFile

FUNCTION = "competitions_honours_frozen"
MESSAGE = "评选已定稿或取消，不能再修改 (a finalized or cancelled award round is frozen)"


def _values() -> dict[str, sql.Composable]:
    from competitions.honours.models import (
        CLOSED_STATUSES,
        AwardQuota,
        AwardRound,
        Exclusion,
        Nominee,
        Objection,
        RoundEvent,
    )

    tables = {"round": AwardRound, "quota": AwardQuota, "nominee": Nominee, "exclusion": Exclusion,
              "event": RoundEvent, "objection": Objection}
    values: dict[str, sql.Composable] = {
        "function": sql.Identifier(FUNCTION),
        "round_table_name": sql.Literal(AwardRound._meta.db_table),
        "closed": sql.SQL(", ").join(sql.Literal(str(status)) for status in CLOSED_STATUSES),
        "message": sql.Literal(MESSAGE),
    }
    for name, model in tables.items():
        values[f"{name}_table"] = sql.Identifier(model._meta.db_table)
        values[f"{name}_trigger"] = sql.Identifier(f"{FUNCTION}_{name}")
    return values


# Dropping the function drops its triggers with it.
HONOURS_FROZEN = SqlFile(path=Path(__file__).parent / "sql" / "honours_frozen.sql", values=_values,
                         drop="DROP FUNCTION {function}() CASCADE",
                         installed_by=("competitions", "0005_honours"), function=FUNCTION)

"""The database guard of scoring-rule versions (``sql/rule_version_guard.sql``): a version that priced
entries, and the direction of a rule with entries, cannot change under them.

``RESCORE_CLAIM`` names the transaction-local setting through which services.rule_version_add tells the
guard that it rescores the rule's entries in the same transaction, so the new version may cover them.
"""

from __future__ import annotations

from pathlib import Path

from psycopg import sql

from config.sqlfiles import SqlFile

RESCORE_CLAIM = "competitions.rescoring_rule"
FUNCTION = "competitions_rule_version_guard"

# What the guard answers (a database error, seen only when a write bypasses the services and admin,
# which refuse first with the translated messages of services.RuleVersionInUse).
VERSION_MESSAGE = "该计分标准版本已有录入按其计分，不能修改或删除 (a rule version that priced entries is immutable)"
RULE_MESSAGE = "该计分规则已有录入，不能改变加/扣分 (the direction of a rule with entries is immutable)"


def _values() -> dict[str, sql.Composable]:
    from competitions.models import RuleVersion, ScoringRule
    from reviews.models import WorkEntry

    return {
        "function": sql.Identifier(FUNCTION),
        "entry_table": sql.Identifier(WorkEntry._meta.db_table),
        "version_table": sql.Identifier(RuleVersion._meta.db_table),
        "rule_table": sql.Identifier(ScoringRule._meta.db_table),
        "rule_table_name": sql.Literal(ScoringRule._meta.db_table),
        "version_trigger": sql.Identifier(f"{FUNCTION}_version"),
        "rule_trigger": sql.Identifier(f"{FUNCTION}_rule"),
        "setting": sql.Literal(RESCORE_CLAIM),
        "version_message": sql.Literal(VERSION_MESSAGE),
        "rule_message": sql.Literal(RULE_MESSAGE),
    }


# Dropping the function drops its two triggers with it.
RULE_VERSION_GUARD = SqlFile(path=Path(__file__).parent / "sql" / "rule_version_guard.sql", values=_values,
                             drop="DROP FUNCTION {function}() CASCADE",
                             installed_by=("competitions", "0003_rule_version_guard"), function=FUNCTION,
                             reinstalled_by=(("competitions", "0016_rule_version_guard_per_span"),))

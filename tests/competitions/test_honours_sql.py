"""Each statement a shortlist sends, rendered for a few kinds of round, is the one in its golden file: a change
to a statement shows as a diff of tests/competitions/golden_honours/. After a deliberate change, rewrite the
files with ``UPDATE_GOLDEN=1`` and review the diff."""

import os
from pathlib import Path

import pytest
from django.db import connection

from competitions.honours.models import AwardRound, QuotaBy, RoundKind, TieRule
from competitions.honours.shortlist import collective_statements, individual_statements

pytestmark = pytest.mark.django_db

GOLDEN = Path(__file__).parent / "golden_honours"

ROUNDS = {
    "individual_ungrouped_include_all": (individual_statements, {"quota_by": QuotaBy.NONE,
                                                                 "tie_rule": TieRule.INCLUDE_ALL}),
    "individual_by_business_system_stated": (individual_statements, {"quota_by": QuotaBy.BUSINESS_SYSTEM,
                                                                     "tie_rule": TieRule.STATED}),
    "individual_by_depot_include_all": (individual_statements, {"quota_by": QuotaBy.DEPOT,
                                                                "tie_rule": TieRule.INCLUDE_ALL}),
    "collective_depots_include_all": (collective_statements, {"kind": RoundKind.COLLECTIVE, "unit_level": "depot",
                                                              "tie_rule": TieRule.INCLUDE_ALL}),
    "collective_teams_by_depot_stated": (collective_statements, {"kind": RoundKind.COLLECTIVE, "unit_level": "team",
                                                                 "quota_by": QuotaBy.DEPOT,
                                                                 "tie_rule": TieRule.STATED}),
}


def rendered() -> dict[str, str]:
    connection.ensure_connection()
    out = {}
    for scenario, (statements, fields) in ROUNDS.items():
        for name, statement in statements(AwardRound(**fields)).items():
            out[f"{scenario}__{name}"] = statement.as_string(connection.connection).strip() + ";\n"
    return out


def test_every_shortlist_statement_renders_as_its_golden_file():
    texts = rendered()
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        for stale in GOLDEN.glob("*.sql"):
            stale.unlink()
        for name, text in texts.items():
            (GOLDEN / f"{name}.sql").write_text(text, encoding="utf-8")
    on_disk = {path.stem: path.read_text(encoding="utf-8") for path in GOLDEN.glob("*.sql")}
    assert sorted(on_disk) == sorted(texts), "golden files missing or left over (UPDATE_GOLDEN=1 rewrites them)"
    for name, text in texts.items():
        assert text == on_disk[name], f"{name}.sql differs from the rendered statement (UPDATE_GOLDEN=1 rewrites it)"

"""Each statement the standings send, rendered with fixed constants, is the one in its golden file: a change
to a statement shows as a diff of tests/competitions/golden/. After a deliberate change, rewrite the files
with ``UPDATE_GOLDEN=1`` and review the diff."""

import os
from pathlib import Path

import pytest

from tests.competitions.standings_sql import statements

pytestmark = pytest.mark.django_db

GOLDEN = Path(__file__).parent / "golden"


def test_every_standings_statement_renders_as_its_golden_file():
    rendered = statements()
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        for stale in GOLDEN.glob("*.sql"):
            stale.unlink()
        for name, text in rendered.items():
            (GOLDEN / f"{name}.sql").write_text(text, encoding="utf-8")
    on_disk = {path.stem: path.read_text(encoding="utf-8") for path in GOLDEN.glob("*.sql")}
    assert sorted(on_disk) == sorted(rendered), "golden files missing or left over (UPDATE_GOLDEN=1 rewrites them)"
    for name, text in rendered.items():
        assert text == on_disk[name], f"{name}.sql differs from the rendered statement (UPDATE_GOLDEN=1 rewrites it)"

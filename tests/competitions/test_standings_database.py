"""competitions.standings.database: a setting held for a few statements, and the names it accepts."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from competitions.standings import database

pytestmark = pytest.mark.django_db


def current(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s)", [name])
        return cursor.fetchone()[0]


def test_a_local_setting_holds_inside_and_is_back_to_the_default_after():
    with transaction.atomic():
        before = current("enable_indexscan")
        with database.local_setting("enable_indexscan", "off"):
            assert current("enable_indexscan") == "off"
        assert current("enable_indexscan") == before == "on"


@pytest.mark.parametrize("name", ["enable_indexscan = off; DROP TABLE x", "Work_Mem", "", "lock timeout"])
def test_a_setting_name_is_the_code_s_own_and_nothing_else_is_sent(name):
    with transaction.atomic(), pytest.raises(ValueError):
        with database.local_setting(name, "off"):
            pass

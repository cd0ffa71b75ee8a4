"""config/bulk_load.py: COPY into a table by its quoted name, and the statements as PostgreSQL receives them."""

import pytest
from django.db import connection

from competitions.models import Organizer
from config.bulk_load import _copy_statement, load_rows, table_list

pytestmark = pytest.mark.django_db


def render(composed) -> str:
    connection.ensure_connection()
    return composed.as_string(connection.connection)


def test_copy_statements_quote_every_name_and_freeze_only_when_asked():
    assert render(_copy_statement("reviews_workentry", ("worker_id", "work_date"))) == (
        'COPY "reviews_workentry" ("worker_id", "work_date") FROM STDIN')
    assert render(_copy_statement("t", ("a",), freeze=True)) == 'COPY "t" ("a") FROM STDIN WITH (FREEZE)'
    assert render(table_list(["members_worker", 'odd"name'])) == '"members_worker", "odd""name"'


def test_load_rows_writes_every_row_it_counts():
    rows = [(f"总工会{i}", "BJ") for i in range(1, 1001)]
    assert load_rows(Organizer._meta.db_table, ("name", "region"), iter(rows)) == 1000
    assert sorted(Organizer.objects.values_list("name", "region")) == sorted(rows)

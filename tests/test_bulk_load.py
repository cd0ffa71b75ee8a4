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


def _partition_index_counts(table):
    """Per partition of ``table``: (its valid indexes, all its indexes); and the parent's index count."""
    with connection.cursor() as cursor:
        cursor.execute("""SELECT c.relname, count(*) FILTER (WHERE x.indisvalid), count(x.indexrelid)
                            FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                            LEFT JOIN pg_index x ON x.indrelid = c.oid
                           WHERE i.inhparent = %s::regclass GROUP BY c.relname ORDER BY c.relname""", [table])
        partitions = cursor.fetchall()
        cursor.execute("SELECT count(*) FROM pg_index WHERE indrelid = %s::regclass", [table])
        return partitions, cursor.fetchone()[0]


def test_a_bulk_load_into_the_partitioned_entries_rebuilds_every_partitions_indexes():
    from django.db import transaction

    from config.bulk_load import copy_text_chunks, deferred_indexes
    from reviews.models import WorkEntry

    table = WorkEntry._meta.db_table
    before, parent_indexes = _partition_index_counts(table)
    assert before and all(valid == total == parent_indexes for _name, valid, total in before)
    with transaction.atomic(), deferred_indexes(WorkEntry):
        copy_text_chunks(table, ("work_date",), iter([]), freeze=True)  # no FREEZE into a partitioned table
    # Built on the parent, each index is built on every partition too (not the parent's ONLY).
    assert _partition_index_counts(table) == (before, parent_indexes)

"""Set-based SQL for large batches on PostgreSQL: keys passed as arrays and ``unnest``-ed, so a batch of
20,000 rows is one short statement with a handful of parameters rather than 20,000 placeholders.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL


def pipeline():
    """psycopg's pipeline mode for the block: ``cursor.execute`` sends a query and returns at once, and
    reading its rows waits for them, so Python can go on working while the server answers. Only for a
    query whose answer is read inside the block."""
    connection.ensure_connection()
    return connection.connection.pipeline()


ARRAY_TYPES = {"bigint", "text"}


def values_in(field: str, values, sql_type: str) -> Q:
    """``field IN values``; a long list as ``IN (SELECT unnest(array))`` (one parameter whatever the size)."""
    if sql_type not in ARRAY_TYPES:
        raise ValueError(sql_type)
    values = list(values)
    if len(values) > 50:
        # The values travel as one array parameter; only the type name (checked above) is in the SQL.
        literal = array(values, "text" if sql_type == "text" else "number")
        return Q(**{f"{field}__in": RawSQL(f"SELECT unnest(%s::{sql_type}[])", (literal,))})  # noqa: S611
    return Q(**{f"{field}__in": values})


def array(values, kind: str) -> str:
    """A PostgreSQL array literal of ``values`` (no NULLs), to pass as one parameter cast to ``type[]``.

    Sent as one string, 20,000 values cost a ``join`` rather than quoting each value on its own (as the
    client-side binding Django uses would do for every element of a list).
    ``kind`` is "number" (int or Decimal), "date" or "text"."""
    if kind == "number":
        return "{" + ",".join(map(str, values)) + "}"
    if kind == "date":
        # A batch holds a few distinct days: each is written once and looked up for the other rows.
        values = list(values)
        texts = {day: day.isoformat() for day in set(values)}
        return "{" + ",".join(map(texts.__getitem__, values)) + "}"
    if kind == "text":
        return "{" + ",".join(['"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values]) + "}"
    raise ValueError(kind)

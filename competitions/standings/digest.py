"""Digests of standings: one SHA-256 over a ranking's canonical rows, and the ledger that chains a
competition's published days (StandingDigest).

**Canonical rows.** A ranking is digested as text: one line per worker, in worker_id order, each line
``worker_id|points|approved_points|rank_overall|rank_business_system|rank_job_type|rank_unit`` followed by a
newline (``\\n``, the last line too). Numbers are in PostgreSQL's text form; points always with three
decimals (``12.500``, ``-3.000``, ``0.000``); a NULL (a worker not under a depot has no rank_unit) is empty.
The digest is the lowercase hex SHA-256 of that text (UTF-8; it is ASCII), so an empty ranking digests to
``e3b0c442…b855``. Anyone can recompute a stored day with psql, whose unaligned output is exactly that text::

    psql -AtF'|' -c "SELECT worker_id, points, approved_points, rank_overall, rank_business_system,
        rank_job_type, rank_unit FROM competitions_standing
        WHERE competition_id = 1 AND day = '2026-03-01' ORDER BY worker_id" | sha256sum

Only what a published ranking asserts is digested: who stands where, with how many points. The worker's
attributes (employee number, job type, depot) and the day-to-day changes are derived from other records,
and a period snapshot (which has other columns) digests the same seven.

**Chain.** Each ledger entry's ``chain_digest`` is the SHA-256 hex of the text
``<previous entry's chain_digest>|<day as YYYY-MM-DD>|<rows_digest>`` (the previous part empty for a
competition's first entry), so changing any entry, or removing one, changes every chain digest after it.
"""

from __future__ import annotations

import hashlib
from datetime import date

from psycopg import sql

# The digested columns, in line order (see the module's docstring).
DIGEST_COLUMNS = ("worker_id", "points", "approved_points", "rank_overall", "rank_business_system",
                  "rank_job_type", "rank_unit")
POINTS_COLUMNS = {"points", "approved_points"}
# The digest of no rows: sha256 of the empty text.
EMPTY_DIGEST = hashlib.sha256(b"").hexdigest()


def _field(column: str) -> sql.Composable:
    value = sql.Identifier("d", column)
    if column in POINTS_COLUMNS:
        # Three decimals whatever the source's numeric type: the text form of numeric keeps its scale.
        value = sql.SQL("CAST({} AS NUMERIC(18, 3))").format(value)
    return value


# concat() reads a NULL as the empty string (concat_ws would drop it, and the line would lose a field).
LINE = sql.SQL("concat({})").format(sql.SQL(", '|', ").join([_field(column) for column in DIGEST_COLUMNS]))


def canonical_digest(source: sql.Composable) -> sql.Composed:
    """A statement returning one row, one column: the hex SHA-256 of ``source``'s canonical rows.

    ``source`` is a SELECT (or a table) with at least the columns of DIGEST_COLUMNS, by those names, one row
    per worker. The digest is computed inside PostgreSQL, in one aggregate: nothing travels but the hex.
    """
    return sql.SQL(
        "SELECT encode(sha256(convert_to(COALESCE(string_agg({line} || chr(10), '' ORDER BY d.worker_id), ''),"
        " 'UTF8')), 'hex') FROM ({source}) AS d"
    ).format(line=LINE, source=source)


def canonical_text(rows) -> str:
    """The canonical text of ``rows`` (tuples in DIGEST_COLUMNS order: ints, Decimals with three decimals or
    None), as Python builds it: for tests and for anyone checking the SQL above."""
    lines = sorted(rows, key=lambda row: row[0])
    return "".join("|".join("" if value is None else str(value) for value in row) + "\n" for row in lines)


def chain_digest(previous: str, day: date, rows_digest: str) -> str:
    """The chain digest of a ledger entry (see the module's docstring); ``previous`` is "" for the first."""
    return hashlib.sha256(f"{previous}|{day.isoformat()}|{rows_digest}".encode()).hexdigest()

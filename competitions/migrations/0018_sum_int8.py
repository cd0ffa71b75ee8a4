from django.db import migrations

# competitions.standings.ranking.SUM_INT8 names it; see its comment for why.
CREATE = """
CREATE AGGREGATE sum_int8(bigint) (SFUNC = int8pl, STYPE = bigint, COMBINEFUNC = int8pl, PARALLEL = SAFE);
COMMENT ON AGGREGATE sum_int8(bigint) IS
    'SUM of bigints as a bigint, added in 64 bits (an error on overflow, as the CAST of SUM would raise)';
"""
DROP = "DROP AGGREGATE sum_int8(bigint);"


class Migration(migrations.Migration):
    """An aggregate that sums bigints into a bigint: the standings' per-worker totals in integer thousandths."""

    dependencies = [("competitions", "0017_approval_log")]

    operations = [migrations.RunSQL(CREATE, DROP)]

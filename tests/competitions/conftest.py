# The portal tests use the same small world as the entries tests; the standings tests' league of six workers in
# two business systems (a module may define its own).
from tests.competitions.standings_data import league  # noqa: F401
from tests.reviews.conftest import today, w  # noqa: F401

# The portal tests use the same small world as the entries tests.
from tests.reviews.conftest import today, w  # noqa: F401

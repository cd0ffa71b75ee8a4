# The portal tests use the same small world as the entries tests.
import pytest

from tests.reviews.conftest import today, w  # noqa: F401


@pytest.fixture
def m(w, f):  # noqa: F811 - w is the fixture imported above
    """The entries world with union officers of the depot and of the other depot, and worker accounts."""
    from tests.members.membership_data import add_union

    return add_union(w, f)

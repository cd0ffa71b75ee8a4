import pytest

from tests import factories


@pytest.fixture
def f():
    """The test-data builders, as a fixture so tests read ``f.worker(...)``."""
    return factories

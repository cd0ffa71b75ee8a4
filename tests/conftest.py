import pytest
from django.core.cache import caches

from tests import factories


@pytest.fixture
def f():
    """The test-data builders, as a fixture so tests read ``f.worker(...)``."""
    return factories


@pytest.fixture(autouse=True)
def _fresh_login_lockout(settings):
    """Every test starts with no failed logins counted (see LOGIN_LOCKOUT_CACHE in the test settings)."""
    caches[settings.LOGIN_LOCKOUT_CACHE].clear()

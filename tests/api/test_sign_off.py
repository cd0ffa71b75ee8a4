"""Sign-off through the API: only a month that has ended, inside the competition; refusals in the one
error format with stable codes, and nothing written."""

import pytest

from config.formatting import display_month
from config.months import format_month, previous_month
from reviews.models import PeriodStatus, ReviewPeriod

pytestmark = pytest.mark.django_db


def sign_off(api, w, month: str):
    return api.reviewer.post("/api/v1/review/sign-off/", {"competition": w.comp.pk, "business_system": w.system.pk,
                                                          "month": month}, format="json")


@pytest.mark.parametrize(("month", "status", "code"), [
    ("1999-01", 400, "month_outside_competition"),
    ("2099-12", 400, "month_outside_competition"),
])
def test_a_month_outside_the_competition_is_refused(api, w, month, status, code):
    response = sign_off(api, w, month)

    assert response.status_code == status
    # The message names the month as a person reads it (the code stays the machine's).
    assert response.json()["error"]["code"] == code and display_month(month) in response.json()["error"]["message"]
    assert not ReviewPeriod.objects.exists()


def test_the_current_month_is_refused_until_it_has_ended(api, w, today):
    response = sign_off(api, w, format_month(today))

    assert response.status_code == 409 and response.json()["error"]["code"] == "month_not_ended"
    assert not ReviewPeriod.objects.filter(status=PeriodStatus.SIGNED_OFF).exists()


def test_last_month_with_nothing_pending_is_signed_off(api, w, today):
    response = sign_off(api, w, format_month(previous_month(today)))

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "signed_off"

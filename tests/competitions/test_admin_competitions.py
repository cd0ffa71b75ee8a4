"""The competition admin: what union staff may set as a competition's dates."""

from datetime import date

import pytest
from django.urls import reverse

from competitions.models import Competition, Organizer

pytestmark = pytest.mark.django_db


def competition_form(**changes):
    organizer = Organizer.objects.get_or_create(name="北京市总工会")[0]
    return {"name": "劳动竞赛", "organizers": [organizer.pk], "start_date": "2026-01-01", "end_date": "2026-12-31",
            "status": "active", "description": "", **changes}


def test_a_competition_dated_from_the_first_day_of_the_calendar_is_saved(admin_client):
    response = admin_client.post(reverse("admin:competitions_competition_add"),
                                 competition_form(start_date="0001-01-01"))

    assert response.status_code == 302
    assert Competition.objects.get().start_date == date(1, 1, 1)

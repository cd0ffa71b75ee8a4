"""Two competitions running at once: each person's pages show the one they take part in (the most recently
started of those), staff and anyone taking part in none the most recently started."""

from datetime import date

import pytest
from django.urls import reverse

from competitions.querysets import current_competition

pytestmark = pytest.mark.django_db


def test_each_person_sees_the_competition_they_take_part_in(client, f, w):
    # given w.comp (since 2026-01-01), and a 车辆 competition started later for a system w.comp has no rule in
    track = f.business_system(name="车辆")
    inspector = f.job_type(track, name="检车员")
    later = f.competition(name="车辆春季竞赛", start=date(2026, 3, 1))
    f.rule(later, inspector)
    track_worker = f.worker_user(f.worker(w.other_depot, inspector, name="吴检车"))
    track_reviewer = f.reviewer(track, username="track-reviewer")

    # the driver, the clerk of the drivers' unit and 机务's reviewer keep seeing their competition
    for user in (w.alice_user, w.clerk, w.reviewer):
        assert current_competition(user) == w.comp, user
    # the track people, staff and nobody in particular see the later one
    for user in (track_worker, track_reviewer, w.staff, None):
        assert current_competition(user) == later, user

    # and so do the pages: my page and the clerk's entry list
    client.force_login(w.alice_user)
    assert client.get(reverse("me")).wsgi_request.competition == w.comp
    client.force_login(track_worker)
    assert client.get(reverse("me")).wsgi_request.competition == later
    client.force_login(w.clerk)
    assert client.get(reverse("entries:list")).wsgi_request.competition == w.comp

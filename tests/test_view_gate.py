"""config.gate: every portal page is behind portal_view, and the gate answers as the pages always have."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from config.gate import Gate, portal_view

# Open pages, and the parts of the site with gates of their own.
OPEN = {"login", "logout", "set_language"}
OWN_GATES = ("admin/", "api/")


def portal_patterns(resolver=None, prefix=""):
    for pattern in (resolver or get_resolver()).url_patterns:
        route = prefix + str(pattern.pattern)
        if route.startswith(OWN_GATES):
            continue
        if isinstance(pattern, URLResolver):
            yield from portal_patterns(pattern, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern


def test_every_portal_page_is_behind_the_gate():
    found = list(portal_patterns())
    ungated = [route for route, pattern in found
               if pattern.name not in OPEN and not isinstance(getattr(pattern.callback, "portal_gate", None), Gate)]
    assert ungated == []
    # The walk itself reaches the pages (a walk that found nothing would pass above).
    names = {pattern.name for _route, pattern in found}
    assert {"me", "leaderboard", "my_entries", "list", "queue", "home", "password_change", "login"} <= names


def test_each_page_admits_the_roles_it_always_did():
    gates = {pattern.name: pattern.callback.portal_gate for _route, pattern in portal_patterns()
             if pattern.name not in OPEN}
    assert gates["me"] == gates["leaderboard"] == gates["my_entries"] == Gate(("worker",), True)
    # Entering and reviewing need the grant; union staff read the lists, the queue and the progress.
    assert gates["list"] == gates["disputes"] == Gate(("clerk", "staff"), True)
    assert gates["grid"] == gates["worker_lookup"] == gates["roster_template"] == Gate(("clerk",), True)
    assert gates["queue"] == gates["sign_off"] == Gate(("reviewer", "staff"), True)
    assert gates["entry"] == Gate(("reviewer",), True)
    assert gates["password_reset_by_clerk"] == Gate(("clerk", "staff"), False)
    assert gates["home"] == gates["no_role"] == gates["password_change"] == Gate(None, False)


def test_a_gate_with_an_unknown_role_is_refused_when_the_module_loads():
    with pytest.raises(ValueError, match="clark"):
        portal_view(roles=("clark",))
    with pytest.raises(ValueError):
        portal_view(roles=())


@pytest.mark.django_db
def test_the_gate_sends_strangers_to_login_and_refuses_other_roles(client, f):
    page = reverse("me")
    assert client.get(page).url.startswith(reverse("login"))
    client.force_login(f.staff_user())  # staff, but not a worker: no "me" page
    assert client.get(page).status_code == 403
    worker_account = f.worker_user(f.worker())
    client.force_login(worker_account)
    response = client.get(page)  # no competition running: the page says so
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "reviews/no_competition.html"

"""The portal as a whole: one person with several roles, and what each role's pages may print."""

import re

import pytest
from django.urls import reverse

from members.validators import mask_id_number
from tests.competitions import portal_data

pytestmark = pytest.mark.django_db


def test_a_person_with_several_roles_moves_between_their_pages_in_one_session(client, w):
    account = w.alice_user
    account.clerk_units.add(w.depot)
    account.reviewer_systems.add(w.other_system)
    client.force_login(account)
    assert client.get("/").url == reverse("me")  # the worker's page first
    html = client.get(reverse("me")).content.decode()
    for name in ("me", "leaderboard", "my_entries", "entries:list", "entries:disputes", "review:queue"):
        assert f'href="{reverse(name)}"' in html, name
        assert client.get(reverse(name)).status_code == 200, name
    assert 'href="/admin/"' not in html
    # The current page is marked, and only it: /me/entries/ is not also "my page".
    entries_page = client.get(reverse("my_entries")).content.decode()
    assert re.findall(r'<a href="([^"]+)" class="on">', entries_page) == [reverse("my_entries")]


def _pages(w, made):
    """Every portal page (GET) a role can open, with the objects a URL can name."""
    return {
        "worker": [reverse("me"), reverse("my_entries")]
        + [reverse("leaderboard") + f"?scope={s}" for s in ("overall", "system", "job_type", "unit")],
        "clerk": [reverse(n) for n in ("entries:list", "entries:new", "entries:import", "entries:disputes",
                                       "password_reset_by_clerk")]
        + [reverse("entries:grid") + f"?mode=day&rule={w.km.pk}&date={made['alice_d1'].work_date}",
           reverse("entries:grid") + f"?mode=week&worker={w.alice.employee_no}",
           reverse("entries:detail", args=[made["alice_d1"].pk])],
        "reviewer": [reverse("review:queue") + f"?status={s}&month={made['alice_d1'].work_date:%Y-%m}"
                     for s in ("pending", "approved", "rejected")],
    }


def test_no_portal_page_ever_prints_an_id_number_or_a_phone_number(client, w):
    portal_data.add_drivers(w, 3)
    made = portal_data.build(w)
    from reviews.services import dispute_open
    dispute_open(actor=w.alice_user, work_date=made["alice_d1"].work_date, comment="核对", entry_id=made["alice_d1"].pk)
    people = list(type(w.alice).objects.all())
    secrets = [p.id_number for p in people] + [p.mobile for p in people if p.mobile]
    # The masked forms keep the region code and last digits, never enough to match a full number.
    assert all(s not in mask_id_number(s) for s in secrets if len(s) == 18)
    pages = _pages(w, made)
    for user, role in ((w.alice_user, "worker"), (w.clerk, "clerk"), (w.reviewer, "reviewer")):
        client.force_login(user)
        for url in pages[role]:
            response = client.get(url)
            assert response.status_code == 200, url
            html = response.content.decode()
            leaked = [s for s in secrets if s in html]
            assert not leaked, (url, leaked)


def test_worker_pages_print_no_other_workers_full_name(client, w):
    portal_data.add_drivers(w, 3)
    made = portal_data.build(w)
    client.force_login(w.alice_user)
    others = [p.name for p in type(w.alice).objects.exclude(pk=w.alice.pk)]
    for url in _pages(w, made)["worker"]:
        html = client.get(url).content.decode()
        assert not [name for name in others if name in html], url
        assert w.alice.name in html or url.startswith(reverse("my_entries"))


@pytest.mark.parametrize("url_name", ["me", "my_entries", "leaderboard"])
def test_one_worker_cannot_reach_another_workers_page_by_url(client, w, f, url_name):
    """No worker page takes a worker id: whatever is added to the URL, alice sees only her own data."""
    made = portal_data.build(w)
    bob_user = f.worker_user(w.bob)
    client.force_login(w.alice_user)
    base = reverse(url_name)
    tampered = [f"{base}?worker={w.bob.pk}", f"{base}?worker_id={w.bob.pk}", f"{base}?employee_no={w.bob.employee_no}",
                f"{base}?user={bob_user.pk}", f"{base}{w.bob.pk}/"]
    for url in tampered:
        response = client.get(url)
        if response.status_code == 404:
            continue
        html = response.content.decode()
        assert response.status_code == 200
        assert w.bob.name not in html and f'id="entry-{made["bob_d1"].pk}"' not in html
    # And the clerk pages that do take ids refuse a worker.
    assert client.get(reverse("entries:detail", args=[made["bob_d1"].pk])).status_code == 403

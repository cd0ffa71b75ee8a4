"""Every admin page a union official opens: each change list and add page answers 200."""

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _admin_url(model, view):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}")


@pytest.fixture
def populated(f):
    """One of everything, so the lists render rows (and their related columns), not just headers."""
    system = f.business_system()
    job = f.job_type(system)
    team = f.unit(parent=f.depot())
    worker = f.worker(team, job)
    comp = f.competition()
    rule = f.rule(comp, job)
    return {"worker": worker, "rule": rule, "competition": comp, "system": system, "unit": team}


@pytest.mark.parametrize("model", list(admin.site._registry), ids=lambda m: m._meta.label)
def test_superuser_opens_every_changelist_and_add_page(admin_client, populated, model):
    model_admin = admin.site._registry[model]

    assert admin_client.get(_admin_url(model, "changelist")).status_code == 200
    request = RequestFactory().get("/")
    request.user = _superuser()
    if model_admin.has_add_permission(request):
        assert admin_client.get(_admin_url(model, "add")).status_code == 200


def _superuser():
    from members.models import User

    return User.objects.filter(is_superuser=True).first()


@pytest.mark.parametrize("model_name", ["members.unit", "members.worker", "competitions.jobtype",
                                        "competitions.scoringrule"])
def test_import_and_export_pages_open(admin_client, populated, model_name):
    app_label, name = model_name.split(".")

    assert admin_client.get(reverse(f"admin:{app_label}_{name}_import")).status_code == 200
    assert admin_client.get(reverse(f"admin:{app_label}_{name}_export")).status_code == 200


def test_superuser_opens_change_pages(admin_client, populated):
    worker, rule = populated["worker"], populated["rule"]

    assert admin_client.get(reverse("admin:members_worker_change", args=[worker.pk])).status_code == 200
    assert admin_client.get(reverse("admin:competitions_scoringrule_change", args=[rule.pk])).status_code == 200
    assert admin_client.get(reverse("admin:members_unit_change", args=[populated["unit"].pk])).status_code == 200
    assert admin_client.get(reverse("admin:members_user_change", args=[_superuser().pk])).status_code == 200


@pytest.mark.parametrize("model_name", ["worker", "unit"])
@pytest.mark.parametrize("bad", ["abc", "²"])
def test_a_depot_filter_value_that_is_not_a_unit_id_is_refused_like_any_bad_filter(admin_client, populated, bad,
                                                                                     model_name):
    # A hand-edited or stale link (?depot=abc): the admin's usual "?e=1" refusal, not a server error.
    response = admin_client.get(reverse(f"admin:members_{model_name}_changelist") + "?depot=" + bad)

    assert response.status_code == 302 and response["Location"].endswith("?e=1")


@pytest.mark.parametrize("model_name", ["reviews.dispute", "reviews.reviewperiod", "competitions.competition",
                                        "members.membershipapplication"])
@pytest.mark.parametrize("query", ["?status=%00", "?status__exact=a%00b", "?%00=1"])
def test_a_nul_in_an_admin_filter_is_a_400_not_a_server_error(admin_client, populated, model_name, query):
    # A change list filtered on a text column with a NUL reached PostgreSQL (which cannot hold NUL in text):
    # a 500. The portal's pages refuse NUL at their gate; the admin's now do the same.
    app_label, name = model_name.split(".")
    response = admin_client.get(reverse(f"admin:{app_label}_{name}_changelist") + query)

    assert response.status_code == 400
    assert admin_client.get(reverse(f"admin:{app_label}_{name}_changelist")).status_code == 200


def test_a_nul_in_a_posted_admin_form_is_a_400_and_saves_nothing(admin_client, populated):
    from competitions.models import BusinessSystem

    system = populated["system"]
    response = admin_client.post(reverse("admin:competitions_businesssystem_change", args=[system.pk]),
                                 {"code": system.code, "name": "机\x00务"})
    assert response.status_code == 400
    assert BusinessSystem.objects.get(pk=system.pk).name == system.name


@pytest.mark.parametrize("model", [m for m, ma in admin.site._registry.items() if ma.date_hierarchy],
                         ids=lambda m: m._meta.label)
@pytest.mark.parametrize("part", ["year", "month", "day"])
def test_a_date_drill_down_too_big_for_a_date_is_a_400_not_a_server_error(admin_client, populated, model, part):
    # Django refuses a bad year with its "?e=1" redirect only when datetime() raises ValueError; a year of
    # 2**63 raised OverflowError: a 500 on every change list with a date drill-down.
    field = admin.site._registry[model].date_hierarchy
    url = _admin_url(model, "changelist")
    response = admin_client.get(f"{url}?{field}__{part}=9223372036854775808")

    assert response.status_code == 400
    # an ordinary drill-down, and a bad one Django refuses itself, still work as before
    assert admin_client.get(f"{url}?{field}__year=2026").status_code == 200
    assert admin_client.get(f"{url}?{field}__year=0").status_code == 302


@pytest.mark.parametrize("model_name", ["worker", "unit"])
def test_the_depot_filter_counts_its_choices_when_the_admin_shows_counts(admin_client, populated, model_name):
    # The change list's "显示计数" link (?_facets) counts each depot of the filter: it failed on the depot's
    # id (an int, not the query string's text), a 500 on the worker and unit lists.
    response = admin_client.get(reverse(f"admin:members_{model_name}_changelist") + "?_facets=True")

    assert response.status_code == 200
    depot = populated["unit"].parent
    # the choice shown with its count; the 223,000 workers' list never counts (FastChangeListMixin.show_facets)
    assert (f"{depot.name} (" in response.content.decode()) == (model_name == "unit")
    response = admin_client.get(reverse(f"admin:members_{model_name}_changelist") + f"?_facets=True&depot={depot.pk}")
    assert response.status_code == 200

"""Every admin list with a drill-down by date survives a URL at the end of the calendar."""

import pytest
from django.contrib import admin
from django.urls import reverse

pytestmark = pytest.mark.django_db

DRILLED = sorted((model_admin for model_admin in admin.site._registry.values() if model_admin.date_hierarchy),
                 key=lambda model_admin: model_admin.opts.label)


def test_the_admin_has_lists_with_a_date_drill_down():
    assert len(DRILLED) >= 9


@pytest.mark.parametrize("model_admin", DRILLED, ids=lambda model_admin: model_admin.opts.label)
@pytest.mark.parametrize("drill", ["year=9999", "year=9999&{field}__month=12", "year=9999&{field}__month=12&{field}__day=31"])
def test_a_drill_down_past_the_last_year_is_a_bad_filter_not_a_server_error(admin_client, model_admin, drill):
    field = model_admin.date_hierarchy
    url = reverse(f"admin:{model_admin.opts.app_label}_{model_admin.opts.model_name}_changelist")

    response = admin_client.get(f"{url}?{field}__{drill.format(field=field)}")

    # The admin's answer to a filter it cannot apply: the list again, unfiltered, flagged ?e=1.
    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")

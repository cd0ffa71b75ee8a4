"""The portal's error pages are Chinese pages in the portal's layout; the 500 page needs neither the
database nor a user."""

import pytest
from django.core.exceptions import SuspiciousOperation
from django.test import Client, RequestFactory
from django.urls import reverse

from config.api import errors

pytestmark = pytest.mark.django_db

LAYOUT = ('class="brand"', "portal/portal.css")


def page_of(response, status, *texts):
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    for text in (*LAYOUT, *texts):
        assert text in html, text
    return html


def test_404_is_the_portals_chinese_page(client):
    page_of(client.get("/no-such-page/"), 404, "页面不存在")


def test_403_is_the_portals_chinese_page(client, f):
    client.force_login(f.user())
    page_of(client.get(reverse("review:queue")), 403, "没有权限")


def test_500_is_the_portals_chinese_page_and_runs_no_query(rf, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = errors.server_error(rf.get("/entries/"))
    page_of(response, 500, "系统出错")


def test_a_page_that_fails_shows_the_500_page(client, f, monkeypatch):
    from reviews import views

    def broken(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(views, "render", broken)
    f.competition()
    client.force_login(f.clerk(f.depot()))
    client.raise_request_exception = False
    page_of(client.get(reverse("entries:list")), 500, "系统出错")


def test_400_is_the_portals_chinese_page():
    response = errors.bad_request(RequestFactory().get("/entries/"), SuspiciousOperation("bad"))
    page_of(response, 400, "请求有误")


def test_a_form_without_its_csrf_token_gets_the_chinese_expired_page(f):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "x", "password": "y"})
    page_of(response, 403, "页面已过期")

"""The Content-Security-Policy every page carries, the templates it relies on, and ``Cache-Control: no-store``
on everything personal: the pages of a signed-in person and every API response."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from rest_framework.test import APIClient

from members.api.authentication import tokens_issue

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# What the policy refuses in markup: inline scripts (a <script> without src), <style> elements, style=""
# attributes, event-handler attributes and javascript: URLs.
INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=|javascript:", re.IGNORECASE)


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def assert_no_store(response):
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"], response.get(
        "Cache-Control")


def test_no_template_has_inline_script_style_or_handlers():
    found = [f"{path.relative_to(TEMPLATES)}: {match.group(0)}"
             for path in TEMPLATES.rglob("*.html") for match in INLINE.finditer(path.read_text())]
    assert found == []


def test_portal_pages_allow_only_the_portals_own_scripts_and_styles(client, f):
    client.force_login(f.user())
    for response in (client.get(reverse("login")), client.get(reverse("password_change"))):
        directives = policy(response)
        assert directives["script-src"] == ["'self'"] and directives["style-src"] == ["'self'"]
        assert directives["default-src"] == ["'self'"] and directives["object-src"] == ["'none'"]
        assert directives["frame-ancestors"] == ["'none'"]


def test_a_signed_in_persons_pages_are_never_stored(client, f):
    client.force_login(f.user())
    assert_no_store(client.get(reverse("password_change")))
    assert_no_store(client.get(reverse("no_role")))
    # the admin too, for union staff
    staff = f.staff_user()
    client.force_login(staff)
    assert_no_store(client.get("/admin/"))


def test_every_api_response_is_never_stored(f):
    client = APIClient()
    assert_no_store(client.get("/api/v1/me/"))  # 401
    assert_no_store(client.get("/api/v1/no-such-thing/"))  # 404 of the catch-all
    assert_no_store(client.post("/api/v1/auth/login/", {"employee_no": "x", "password": "y"}, format="json"))
    user = f.user()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_issue(user=user).access}")
    response = client.get("/api/v1/me/")
    assert response.status_code == 200
    assert_no_store(response)


def test_the_api_docs_pages_load_their_viewers_from_our_own_static_files(client):
    swagger = client.get("/api/v1/docs/")
    page = swagger.content.decode()
    assert swagger.status_code == 200 and "//" not in "".join(re.findall(r'(?:src|href)="([^"]*)"', page))
    assert not INLINE.search(page)
    assert policy(swagger)["script-src"] == ["'self'"]
    script = client.get("/api/v1/docs/?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()
    redoc = client.get("/api/v1/redoc/")
    assert redoc.status_code == 200 and "//" not in "".join(re.findall(r'(?:src|href)="([^"]*)"', redoc.content.decode()))
    assert policy(redoc)["script-src"] == ["'self'"]


def test_the_portal_and_the_admin_name_their_icon_a_file_of_the_site(client, f):
    # (browsers asked for /favicon.ico on every page, a 404 each time)
    icon = '<link rel="icon" href="/static/portal/favicon.svg" type="image/svg+xml">'
    assert icon in client.get(reverse("login")).content.decode()
    client.force_login(f.staff_user())
    assert icon in client.get("/admin/").content.decode()
    assert (Path(settings.BASE_DIR) / "static" / "portal" / "favicon.svg").read_text().startswith("<svg")

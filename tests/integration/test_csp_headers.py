"""The Content-Security-Policy of each kind of answer (decision 0025), read from the headers; tests/browser shows
the pages work under it in a real browser."""

from __future__ import annotations

import re

import pytest

from tests.factories import media_file
from ukbot.notifications.models import Template

pytestmark = pytest.mark.django_db

API_POLICY = {"default-src": ["'none'"], "frame-ancestors": ["'none'"]}


def _policy(response) -> dict[str, list[str]]:
    header = response.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.status_code} {response.get('Content-Type')}"
    pairs = (part.split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in pairs}


def _assert_strict_page(policy: dict[str, list[str]]) -> None:
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]


@pytest.mark.parametrize("url", ["/admin/login/", "/api/docs/"])
def test_html_pages_allow_only_this_origin_and_no_inline_code(client, url):
    response = client.get(url)

    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    policy = _policy(response)
    _assert_strict_page(policy)
    assert policy["style-src"] == ["'self'"]
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", response.content.decode()), "an inline <script>"
    assert not re.search(r"<style\b|\sstyle=|\son[a-z]+=", response.content.decode()), "inline style or handler"


def test_the_admin_pages_behind_the_login_have_the_policy_and_no_inline_code(admin_client, admin_user):
    template = Template.objects.order_by("pk").first()  # the migrations ship the default texts
    assert template is not None
    media_file(admin_user.pk, "png")  # the list shows its thumbnail, sized by a class of media/admin.css
    for url in (
        "/admin/",
        "/admin/users/yard/",
        "/admin/users/yard/add/",
        f"/admin/notifications/template/{template.pk}/change/",
        "/admin/media/mediafile/",
    ):
        response = admin_client.get(url)
        assert response.status_code == 200, url
        _assert_strict_page(_policy(response))
        html = response.content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert not re.search(r"<style\b|\sstyle=|\son[a-z]+=", html), url
    assert 'class="ukbot-thumbnail"' in html and "/static/media/admin.css" in html


def test_redoc_alone_also_allows_inline_styles_and_blob_workers(client):
    response = client.get("/api/redoc/")

    policy = _policy(response)
    _assert_strict_page(policy)
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["worker-src"] == ["'self'", "blob:"]


def test_the_swagger_start_up_script_is_a_file_of_this_origin(client):
    page = client.get("/api/docs/").content.decode()
    script_url = re.findall(r'<script src="([^"]+\?[^"]*script[^"]*)"', page)
    assert len(script_url) == 1, page

    script = client.get(script_url[0].replace("&amp;", "&"))
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in script.content.decode() and "/api/v1/schema/" in script.content.decode()


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/requests", 401),  # the JSON error envelope
        ("/api/v1/schema/", 200),
        ("/healthz", 200),
        ("/static/admin/js/actions.js", 200),
    ],
)
def test_answers_that_are_not_pages_load_nothing(client, url, status):
    response = client.get(url)

    assert response.status_code == status
    assert _policy(response) == API_POLICY


def test_a_json_404_has_the_api_policy(client, settings):
    settings.DEBUG = False
    response = client.get("/api/v1/no-such-endpoint")

    assert response.status_code == 404 and response["Content-Type"].startswith("application/json")
    assert _policy(response) == API_POLICY

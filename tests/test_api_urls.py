"""``ukbot.api_urls`` mounts every domain app's ``api/urls.py`` under /api/v1/ and skips apps that have none."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from ukbot.api_urls import app_url_modules


def _package(root: Path, dotted: str, urls_source: str | None = None) -> None:
    folder = root.joinpath(*dotted.split("."))
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("")
    if urls_source is not None:
        (folder / "urls.py").write_text(urls_source)


@pytest.fixture
def apps(tmp_path, monkeypatch, settings):
    """Make throw-away app packages importable and name them in DOMAIN_APPS."""
    monkeypatch.syspath_prepend(str(tmp_path))
    prefix = f"fakeapp_{uuid.uuid4().hex[:8]}"

    def make(**kinds: str | None) -> list[str]:
        names = []
        for suffix, urls_source in kinds.items():
            name = f"{prefix}_{suffix}"
            _package(tmp_path, name)
            if urls_source is not None:
                _package(tmp_path, f"{name}.api", urls_source)
            names.append(name)
        settings.DOMAIN_APPS = names
        return names

    return make


def test_apps_with_api_urls_are_collected_and_others_skipped(apps):
    with_api, _without_api = apps(with_api="urlpatterns = []\n", without_api=None)

    assert app_url_modules() == [f"{with_api}.api.urls"]


def test_an_api_package_without_urls_is_skipped(apps, tmp_path):
    [app] = apps(api_only="urlpatterns = []\n")
    (tmp_path / app / "api" / "urls.py").unlink()

    assert app_url_modules() == []


def test_a_missing_import_inside_an_apps_urls_is_not_hidden(apps):
    apps(broken="import no_such_module_for_api_urls\n")

    with pytest.raises(ModuleNotFoundError, match="no_such_module_for_api_urls"):
        app_url_modules()


def test_the_project_mounts_the_schema_under_api_v1(client):
    assert client.get("/api/v1/schema/").status_code == 200


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_an_unknown_api_path_is_a_json_404_even_with_debug_on(client, settings, debug, method):
    settings.DEBUG = debug  # `make run` runs with DEBUG on, where Django would answer with an HTML page

    response = getattr(client, method)("/api/v1/no/such/thing", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "NOT_FOUND"
    assert response.json()["error"]["message"] == "Not found."

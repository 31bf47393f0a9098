"""The OpenAPI schema and the offline API docs."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import path
from drf_spectacular.views import SpectacularAPIView
from openapi_spec_validator import validate
from rest_framework import serializers

from ukbot.core.api.views import Api
from ukbot.core.errors import ERROR_CODES
from ukbot.core.tests.api_urls import SequenceListApi

_ASSET = re.compile(r"""(?:src|href)=["']([^"']+)["']""")


def _schema(client) -> dict:
    response = client.get("/api/v1/schema/", headers={"Accept": "application/vnd.oai.openapi+json"})
    assert response.status_code == 200
    return response.json()


def test_schema_is_public_valid_openapi_3_with_the_error_catalogue(client):
    # an anonymous client (no login) reads the schema
    schema = _schema(client)

    validate(schema)
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "UK Management Bot API"
    for code, info in ERROR_CODES.items():
        assert f"| `{code}` | {info.status} | {info.description} |" in schema["info"]["description"]
    envelope = schema["components"]["schemas"]["ErrorEnvelope"]
    assert envelope["properties"]["error"]["properties"]["code"]["enum"] == list(ERROR_CODES)


class ThingCreateApi(Api):
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField()

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        name = serializers.CharField()

    def post(self, request):
        raise NotImplementedError  # only documented here


urlpatterns = [
    path("api/v1/things/", ThingCreateApi.as_view()),
    path("api/v1/sequences/", SequenceListApi.as_view()),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="schema"),
]


@pytest.mark.urls(__name__)
def test_schema_documents_api_serializers_inside_the_data_envelope(client):
    schema = _schema(client)

    validate(schema)
    operation = schema["paths"]["/api/v1/things/"]["post"]
    request_ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert request_ref == "#/components/schemas/ThingCreateInput"
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "type": "object",
        "required": ["data"],
        "properties": {"data": {"$ref": "#/components/schemas/ThingCreateOutput"}},
    }
    assert set(schema["components"]["schemas"]["ThingCreateInput"]["properties"]) == {"name"}
    assert set(schema["components"]["schemas"]["ThingCreateOutput"]["properties"]) == {"id", "name"}


@pytest.mark.urls(__name__)
def test_schema_of_a_list_api_documents_the_paginated_envelope_and_list_parameters(client):
    schema = _schema(client)

    operation = schema["paths"]["/api/v1/sequences/"]["get"]
    parameters = {parameter["name"] for parameter in operation["parameters"]}
    assert parameters == {"page", "per_page", "search", "ordering", "last"}
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    paginated = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert paginated["required"] == ["data", "meta", "links"]
    assert ref == "#/components/schemas/PaginatedSequenceListOutputList"
    assert paginated["properties"]["data"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/SequenceListOutput"},
    }
    assert set(paginated["properties"]["meta"]["properties"]) == {"total", "page", "per_page"}


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_docs_are_public_html_that_load_only_local_assets(client, url):
    response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert re.findall(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", html) == []
    assets = _ASSET.findall(html)
    assert assets, "the page should load the bundled UI"
    for asset in assets:
        if asset.startswith(f"{url}?"):  # Swagger UI's start-up script, served apart for the CSP (decision 0025)
            html += client.get(asset.replace("&amp;", "&")).content.decode()
            continue
        assert asset.startswith("/static/"), asset
        assert finders.find(asset.removeprefix("/static/")) is not None, f"{asset} is not a static file"
    assert "/api/v1/schema/" in html

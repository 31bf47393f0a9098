"""The OpenAPI schema and the offline API docs."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import path
from drf_spectacular.utils import OpenApiExample, extend_schema
from drf_spectacular.views import SpectacularAPIView
from openapi_spec_validator import validate
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated

from ukbot.core.api.permissions import has_scope
from ukbot.core.api.serializers import StrictSerializer
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


class ThingInput(StrictSerializer):
    """What a thing is called.

    Implementation notes for developers stay out of the document.
    """

    name = serializers.CharField(max_length=10)
    note = serializers.CharField(allow_blank=True, required=False)


class ThingOutput(serializers.Serializer):
    name = serializers.CharField()  # may well be blank in an answer


class ThingRenameApi(Api):
    """Rename a thing.

    Calls services.thing_rename; developers only.
    """

    permission_classes = (IsAuthenticated,)
    InputSerializer = ThingInput
    OutputSerializer = ThingOutput

    @extend_schema(examples=[OpenApiExample("rename", value={"name": "Lamp"})])
    def post(self, request, thing_id: int):
        raise NotImplementedError  # only documented here


class ThingPublicApi(Api):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    OutputSerializer = ThingOutput
    error_statuses = {"GET": (410,)}

    def get(self, request):
        raise NotImplementedError  # only documented here


class ThingScopedApi(Api):
    permission_classes = (IsAuthenticated,)
    OutputSerializer = ThingOutput

    def get(self, request):
        if not has_scope(request, "admin:things"):
            raise NotImplementedError
        raise NotImplementedError  # only documented here


urlpatterns = [
    path("api/v1/things/", ThingCreateApi.as_view()),
    path("api/v1/things/<int:thing_id>/rename", ThingRenameApi.as_view()),
    path("api/v1/public-thing", ThingPublicApi.as_view()),
    path("api/v1/scoped-thing", ThingScopedApi.as_view()),
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
    parameters = {parameter["name"]: parameter for parameter in operation["parameters"]}
    assert set(parameters) == {"page", "per_page", "search", "ordering", "last"}
    assert parameters["per_page"]["schema"] == {"type": "integer", "minimum": 1}
    assert "served as" in parameters["per_page"]["description"]  # more than the cap is clamped, not refused
    assert parameters["page"]["schema"] == {
        "anyOf": [{"type": "integer", "minimum": 1}, {"type": "string", "enum": ["last"]}]
    }
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


def _responses(schema: dict, path: str, method: str) -> dict:
    return schema["paths"][path][method]["responses"]


@pytest.mark.urls(__name__)
def test_each_operation_documents_the_error_answers_it_can_give(client):
    schema = _schema(client)

    validate(schema)
    envelope = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}}
    # input, sign-in, a resource in the path, a state move, a body
    rename = _responses(schema, "/api/v1/things/{thing_id}/rename", "post")
    assert set(rename) == {"200", "400", "401", "404", "409", "413", "415", "429", "503"}
    assert all(rename[status]["content"] == envelope for status in rename if status != "200")
    for status in ("429", "503"):
        assert set(rename[status]["headers"]) == {"Retry-After"}
    # no sign-in, no input; what the view adds for its method
    assert set(_responses(schema, "/api/v1/public-thing", "get")) == {"200", "410", "429", "503"}
    # a scope check beyond sign-in
    assert set(_responses(schema, "/api/v1/scoped-thing", "get")) == {"200", "401", "403", "429", "503"}
    # a list open to anyone: its query parameters can be refused, a page past the end is not found, and a token
    # sent is still checked
    assert set(_responses(schema, "/api/v1/sequences/", "get")) == {"200", "400", "401", "404", "429", "503"}


@pytest.mark.urls(__name__)
def test_strict_input_is_closed_and_refuses_blank_text_where_the_server_does(client):
    components = _schema(client)["components"]["schemas"]

    thing = components["ThingInput"]
    assert thing["additionalProperties"] is False
    assert thing["properties"]["name"] == {"type": "string", "minLength": 1, "maxLength": 10}
    assert "minLength" not in thing["properties"]["note"]  # blank allowed
    assert "minLength" not in components["ThingOutput"]["properties"]["name"]  # answers may be blank
    assert "additionalProperties" not in components["ThingCreateInput"]  # a plain Serializer drops unknown fields


@pytest.mark.urls(__name__)
def test_descriptions_are_the_first_paragraph_of_the_own_docstring_only(client):
    schema = _schema(client)

    assert schema["paths"]["/api/v1/things/{thing_id}/rename"]["post"]["description"] == "Rename a thing."
    assert schema["components"]["schemas"]["ThingInput"]["description"] == "What a thing is called."
    # a class without a docstring of its own shows none, not its base class's notes for developers
    assert "description" not in schema["paths"]["/api/v1/scoped-thing"]["get"]
    assert "description" not in schema["components"]["schemas"]["ThingOutput"]


@pytest.mark.urls(__name__)
def test_a_request_example_is_not_shown_as_the_answer(client):
    operation = _schema(client)["paths"]["/api/v1/things/{thing_id}/rename"]["post"]

    assert operation["requestBody"]["content"]["application/json"]["examples"]["Rename"]["value"] == {"name": "Lamp"}
    assert "examples" not in operation["responses"]["200"]["content"]["application/json"]

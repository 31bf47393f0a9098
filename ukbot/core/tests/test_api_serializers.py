"""StrictSerializer: unknown fields and JSON values of the wrong type are refused, and each instance has fields of
its own though copied shallowly; ClockTimeField."""

from __future__ import annotations

from datetime import time

import pytest
from django.http import QueryDict
from django.utils import translation
from rest_framework import serializers

from ukbot.core.api.serializers import ClockTimeField, StrictSerializer


class Line(StrictSerializer):
    sku = serializers.CharField(max_length=5)


class Order(StrictSerializer):
    kind = serializers.ChoiceField(choices=["a", "b"])
    note = serializers.CharField(max_length=3, required=False)
    when = serializers.DateTimeField(required=False)
    tags = serializers.ListField(child=serializers.CharField(max_length=2), required=False)
    lines = Line(many=True, required=False)


def test_unknown_fields_are_named():
    order = Order(data={"kind": "a", "colour": "red"})

    assert not order.is_valid()
    assert list(order.errors) == ["colour"]


def test_each_instance_binds_fields_of_its_own():
    first, second = Order(context={"n": 1}), Order(context={"n": 2})

    for name in ("kind", "note", "tags", "lines"):
        assert first.fields[name] is not second.fields[name]
        assert first.fields[name] is not Order._declared_fields[name]
        assert first.fields[name].parent is first and second.fields[name].parent is second
    # a child is bound to its own copy of the field that holds it, so it finds its own serializer's context
    assert first.fields["tags"].child.parent is first.fields["tags"]
    assert first.fields["tags"].child.context == {"n": 1} and second.fields["tags"].child.context == {"n": 2}
    assert first.fields["lines"].child.context == {"n": 1}


def test_validation_is_the_same_for_every_instance():
    bad = {"kind": "c", "note": "toolong", "tags": ["abc"], "lines": [{"sku": "toolong"}]}
    good = {"kind": "b", "note": "ok", "tags": ["ab"], "lines": [{"sku": "x1"}], "when": "2026-01-02T03:04:05Z"}

    for _ in range(2):
        refused, accepted = Order(data=bad), Order(data=good)
        assert not refused.is_valid()
        assert set(refused.errors) == {"kind", "note", "tags", "lines"}
        assert refused.errors["kind"][0].code == "invalid_choice"
        assert refused.errors["note"][0].code == "max_length"
        assert accepted.is_valid(), accepted.errors
        assert accepted.validated_data["lines"] == [{"sku": "x1"}]


# --- JSON types: what the document refuses, the serializer refuses (decision 0026) ---------------------------


class Settings(StrictSerializer):
    name = serializers.CharField(required=False)
    email = serializers.EmailField(required=False)
    on = serializers.BooleanField(required=False)
    channels = serializers.DictField(child=serializers.BooleanField(), required=False)
    tags = serializers.ListField(child=serializers.CharField(), required=False)
    note = serializers.CharField(required=False, allow_null=True)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": 12}, "name"),
        ({"name": 1.5}, "name"),
        ({"name": True}, "name"),
        ({"name": ["a"]}, "name"),
        ({"email": 7}, "email"),
        ({"on": 1}, "on"),
        ({"on": 0}, "on"),
        ({"on": "yes"}, "on"),
        ({"on": "true"}, "on"),
        ({"on": None}, "on"),  # not nullable: DRF's own "may not be null"
    ],
)
def test_a_json_value_of_the_wrong_type_is_refused_not_coerced(data, field):
    settings_input = Settings(data=data)

    assert not settings_input.is_valid()
    assert list(settings_input.errors) == [field]


def test_items_of_lists_and_dicts_are_checked_one_by_one():
    settings_input = Settings(data={"tags": ["ok", 3], "channels": {"telegram": True, "email": 1}})

    with translation.override("en"):
        assert not settings_input.is_valid()
    assert settings_input.errors == {
        "tags": {1: ["Not a valid string."]},
        "channels": {"email": ["Must be a valid boolean."]},
    }


def test_values_of_the_right_type_pass_and_null_stays_the_fields_own_business():
    settings_input = Settings(
        data={"name": "Aziz", "on": False, "channels": {"bot": True}, "tags": ["a"], "note": None}
    )

    assert settings_input.is_valid(), settings_input.errors
    assert settings_input.validated_data == {
        "name": "Aziz",
        "on": False,
        "channels": {"bot": True},
        "tags": ["a"],
        "note": None,
    }


def test_form_data_keeps_drfs_parsing_of_text():
    # every value of a form or query string is text: "true" and "12" are what such a client can send
    settings_input = Settings(data=QueryDict("name=12&on=true"))

    assert settings_input.is_valid(), settings_input.errors
    assert settings_input.validated_data == {"name": "12", "on": True}


def test_unknown_fields_and_wrong_types_are_reported_together():
    settings_input = Settings(data={"name": 5, "colour": "red"})

    assert not settings_input.is_valid()
    assert set(settings_input.errors) == {"name", "colour"}


# --- a time of day on the person's clock ------------------------------------------------------------------------


class Quiet(StrictSerializer):
    start = ClockTimeField()


@pytest.mark.parametrize(("given", "kept"), [("22:00", time(22, 0)), ("07:05:09", time(7, 5, 9)), ("00:00", time(0))])
def test_a_clock_time_is_hh_mm_with_optional_seconds(given, kept):
    quiet = Quiet(data={"start": given})

    assert quiet.is_valid(), quiet.errors
    assert quiet.validated_data == {"start": kept}
    assert Quiet({"start": kept}).data == {"start": kept.strftime("%H:%M:%S")}  # written back as HH:MM:SS


@pytest.mark.parametrize(
    "given", ["00:00:00Z", "22:00+05:00", "22:00:00.5", "24:00", "7:00", "22", "", 2200, None, "22:60"]
)
def test_a_clock_time_refuses_offsets_fractions_and_junk(given):
    quiet = Quiet(data={"start": given})

    assert not quiet.is_valid()
    assert list(quiet.errors) == ["start"]

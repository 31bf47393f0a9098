"""StrictSerializer: unknown fields are refused, and each instance has fields of its own though copied shallowly."""

from __future__ import annotations

from rest_framework import serializers

from ukbot.core.api.serializers import StrictSerializer


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

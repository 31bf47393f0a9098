"""The audit log's comparison of values: what changed, with secrets shown as changed but never stored."""

from __future__ import annotations

import pytest

from ukbot.core.audit import HIDDEN, SENSITIVE, audit_diff


@pytest.mark.parametrize(
    ("name", "sensitive"),
    [
        ("password", True),
        ("otp_secret", True),
        ("totp", True),
        ("refresh_token", True),
        ("token_hash", True),
        ("footprint", False),
        ("phone", False),
        ("dedupe_key", False),
        ("hashtag", False),
    ],
)
def test_sensitive_names(name, sensitive):
    assert bool(SENSITIVE.search(name)) is sensitive


def test_the_diff_keeps_changed_fields_only_with_null_for_a_missing_side():
    before = {"urgency": "low", "category": "plumbing", "floor": 3}
    after = {"urgency": "high", "category": "plumbing", "roles": ["executor"]}

    assert audit_diff(before, after) == {
        "floor": [3, None],
        "roles": [None, ["executor"]],
        "urgency": ["low", "high"],
    }


def test_a_changed_secret_is_reported_without_its_values():
    assert audit_diff({"password": "old-hash"}, {"password": "new-hash"}) == {"password": [HIDDEN, HIDDEN]}
    assert audit_diff({"password": "same"}, {"password": "same"}) == {}

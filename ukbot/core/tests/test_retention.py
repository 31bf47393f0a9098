"""Batched retention deletes of the shared kernel: idempotency keys past their time to live."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ukbot.core.db.purge import delete_in_batches
from ukbot.core.idempotency import expire_keys
from ukbot.core.models import IdempotencyKey

pytestmark = pytest.mark.django_db


def _key(name: str, *, expires_in: timedelta) -> IdempotencyKey:
    return IdempotencyKey.objects.create(
        user_key="u1", key=name, method="POST", path="/x", body_hash="0" * 64, expires_at=timezone.now() + expires_in
    )


def test_expired_keys_go_in_batches_and_keys_within_their_ttl_stay():
    for n in range(5):
        _key(f"old-{n}", expires_in=-timedelta(minutes=1))
    live = _key("live", expires_in=timedelta(hours=23))

    assert expire_keys(batch=2) == 5

    assert list(IdempotencyKey.objects.values_list("pk", flat=True)) == [live.pk]


def test_a_batch_deletes_only_rows_that_still_match():
    rows = [_key(f"k{n}", expires_in=-timedelta(minutes=1)) for n in range(3)]
    expired = IdempotencyKey.objects.filter(expires_at__lte=timezone.now())
    IdempotencyKey.objects.filter(pk=rows[0].pk).update(expires_at=timezone.now() + timedelta(hours=1))

    assert delete_in_batches(expired, batch=10) == 2
    assert list(IdempotencyKey.objects.values_list("pk", flat=True)) == [rows[0].pk]

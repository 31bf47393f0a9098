from __future__ import annotations

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english_messages():
    # Messages are asserted in their English source; test_messages_speak_russian_by_default checks a translation.
    with translation.override("en"):
        yield

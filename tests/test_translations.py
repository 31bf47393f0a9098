"""Every user-facing string exists in Russian (default), Uzbek and English, and the compiled catalogues match."""

from __future__ import annotations

import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
import rest_framework

from ukbot.core.i18n import DRF_MESSAGES

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "locale"
PLACEHOLDER = re.compile(r"\{[a-z_]+\}|%\([a-z_]+\)[sd]")


def _catalogue(lang: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / lang / "LC_MESSAGES" / "django.po"))


@pytest.mark.parametrize("lang", ["ru", "uz"])
def test_every_string_is_translated_with_its_placeholders(lang):
    problems = []
    for entry in _catalogue(lang):
        if entry.obsolete:
            continue
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry.msgid}")
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            if not text.strip():
                problems.append(f"untranslated: {entry.msgid}")
            elif set(PLACEHOLDER.findall(text)) != set(PLACEHOLDER.findall(entry.msgid)):
                problems.append(f"placeholders differ: {entry.msgid!r} -> {text!r}")
    assert problems == []


@pytest.mark.parametrize("lang", ["ru", "uz", "en"])
def test_compiled_catalogue_matches_its_source(lang):
    source = _catalogue(lang)
    with (LOCALE / lang / "LC_MESSAGES" / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for entry in source:
        if entry.obsolete or entry.msgid_plural or not entry.msgstr:
            continue
        assert compiled.gettext(entry.msgid) == entry.msgstr
    if lang == "ru":  # Russian has four plural forms; the header must survive compilation
        assert compiled.ngettext("Replayed %(count)d dead letter.", "Replayed %(count)d dead letters.", 5) == (
            "Повторено %(count)d недоставленных записей."
        )


def test_listed_drf_messages_still_exist_in_drf():
    source = "".join(p.read_text() for p in Path(rest_framework.__file__).parent.glob("*.py"))
    assert [m for m in DRF_MESSAGES if m not in source] == []


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext (xgettext) is not installed")
def test_catalogue_is_up_to_date_with_the_code(tmp_path):
    for part in ("ukbot", "bot", "locale", "manage.py"):
        (shutil.copytree if (ROOT / part).is_dir() else shutil.copy)(ROOT / part, tmp_path / part)
    env = {**os.environ, "DJANGO_DEBUG": "1"}
    env.setdefault("DATABASE_URL", "postgres://unused@127.0.0.1/unused")
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "ru", "--no-location", "--ignore=*/tests/*"],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
    )
    fresh = {e.msgid for e in polib.pofile(str(tmp_path / "locale/ru/LC_MESSAGES/django.po")) if not e.obsolete}
    committed = {e.msgid for e in _catalogue("ru") if not e.obsolete}
    assert fresh - committed == set(), "run `make messages` and translate the new strings"


@pytest.mark.parametrize(
    ("accept_language", "message"),
    [(None, "Не найдено."), ("ru", "Не найдено."), ("uz", "Topilmadi."), ("en", "Not found.")],
)
def test_api_errors_speak_the_callers_language(client, accept_language, message):
    headers = {"HTTP_ACCEPT_LANGUAGE": accept_language} if accept_language else {}
    response = client.get("/api/v1/no-such-endpoint/", **headers)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"
    assert response.json()["error"]["message"] == message

"""Without chromium the browser tests skip on a developer's machine and fail on CI (decision 0025)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import conftest


def test_a_missing_browser_skips_with_the_install_command_and_fails_on_ci(monkeypatch):
    monkeypatch.setattr(conftest, "CHROMIUM", Path("/nonexistent/chromium"))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"apt-get install -y chromium chromium-driver"):
        conftest._chromium_or_skip()

    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"cannot run on CI: /nonexistent/chromium missing"):
        conftest._chromium_or_skip()


def test_an_installed_browser_and_driver_are_used_as_they_are(monkeypatch):
    monkeypatch.setattr(conftest, "CHROMIUM", Path(__file__))  # any existing file stands for the binaries
    monkeypatch.setattr(conftest, "CHROMEDRIVER", Path(__file__))
    monkeypatch.setenv("CI", "true")
    conftest._chromium_or_skip()

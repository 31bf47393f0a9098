"""Browser tests: Debian's chromium driven by selenium through Debian's chromedriver, against gunicorn serving the
project as users run it. Nothing is downloaded: Selenium Manager is never asked for a browser or a driver.

Without chromium a developer's run skips these tests and says how to install it; on CI (``CI=true``, where
``.ci/run`` installs it) they fail instead, so that a missing browser cannot pass unnoticed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from tests.processes import Gunicorn

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
INSTALL = "apt-get install -y chromium chromium-driver"

# Collects every securitypolicyviolation of a page from before its first script (installed through DevTools,
# which CSP does not govern), so that a violation is seen even when the console message is missed.
WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    [event.violatedDirective, event.blockedURI, event.sourceFile, event.lineNumber].join(" ")
  );
});
"""


def _chromium_or_skip() -> None:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if not missing:
        return
    message = f"{' and '.join(missing)} missing: install Debian's browser and driver with `{INSTALL}` (as root)"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"browser tests cannot run on CI: {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def server(django_db_setup, tmp_path_factory) -> Iterator[Gunicorn]:
    _chromium_or_skip()
    running = Gunicorn(tmp_path_factory.mktemp("gunicorn") / "gunicorn.log", workers=1)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def browser(server, tmp_path) -> Iterator[webdriver.Chrome]:
    """Headless chromium with a profile of its own, English pages, console messages kept for get_log("browser")."""
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        "--window-size=1280,900",
        "--lang=en",
        f"--user-data-dir={tmp_path / 'profile'}",
    ):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": "en"})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    try:
        driver.set_page_load_timeout(30)
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH_VIOLATIONS})
        yield driver
    finally:
        driver.quit()

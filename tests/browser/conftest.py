"""Browser tests: Debian's chromium driven by selenium through Debian's chromedriver, against gunicorn serving the
project as users run it. Nothing is downloaded: Selenium Manager is never asked for a browser or a driver.

Without chromium a developer's run skips these tests and says how to install it; on CI (``CI=true``, where
``.ci/run`` installs it) they fail instead, so that a missing browser cannot pass unnoticed.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from tests.processes import database_url

ROOT = Path(__file__).resolve().parents[2]
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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn serving ukbot.wsgi on 127.0.0.1, on the test database; static files through whitenoise."""

    def __init__(self, log: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environ = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
        environ.update(DATABASE_URL=database_url(), DJANGO_DEBUG="1", PYTHONUNBUFFERED="1")
        self.log = log
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "gunicorn", "ukbot.wsgi", "--bind", f"127.0.0.1:{self.port}"),
                *("--workers", "1", "--worker-class", "gthread", "--threads", "8", "--timeout", "60"),
            ],
            cwd=ROOT,
            env=environ,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 90
        while True:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited:\n{log.read_text()[-3000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    pytest.fail(f"gunicorn did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.2)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="module")
def server(django_db_setup, tmp_path_factory) -> Iterator[Server]:
    _chromium_or_skip()
    running = Server(tmp_path_factory.mktemp("gunicorn") / "gunicorn.log")
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

"""The admin and the API docs work in a real browser under their Content-Security-Policy (decision 0025).

Each test drives headless chromium against gunicorn and ends by asserting that the browser refused nothing: no
"Refused to …" / "Content Security Policy" console message and no securitypolicyviolation event. A last test
shows the policy has teeth: an inline script injected into an admin page is blocked and reported.
"""

from __future__ import annotations

import http.client
import uuid
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import Argon2PasswordHasher
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.factories import PASSWORD
from ukbot.users.models import Building, Yard

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REDOCLY_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
CSP_WORDS = ("refused to", "content security policy", "content-security-policy")


def _headers(url: str) -> http.client.HTTPResponse:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def _directives(header: str | None) -> dict[str, list[str]]:
    assert header, "no Content-Security-Policy header"
    pairs = (part.strip().split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in pairs}


def _wait(driver: WebDriver, seconds: float = 20) -> WebDriverWait:
    return WebDriverWait(driver, seconds)


def _violations(driver: WebDriver) -> list[str]:
    """CSP messages of the console since the last call, and the violations the current page has seen."""
    console = [
        entry["message"] for entry in driver.get_log("browser") if any(w in entry["message"].lower() for w in CSP_WORDS)
    ]
    events = driver.execute_script("return window.__cspViolations || [];")
    return console + list(events)


def _staff_with_second_factor() -> tuple[str, TOTPDevice]:
    """A superuser of the admin whose sign-in asks for a code (a confirmed TOTP device)."""
    hasher = Argon2PasswordHasher()  # gunicorn checks passwords with the project's hashers, not the tests' fast one
    user = get_user_model().objects.create(
        username=f"boss-{uuid.uuid4().hex[:8]}",
        password=hasher.encode(PASSWORD, hasher.salt()),
        is_staff=True,
        is_superuser=True,
    )
    return user.username, TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def _sign_in(driver: WebDriver, url: str) -> None:
    username, device = _staff_with_second_factor()
    driver.get(f"{url}/admin/login/?next=/admin/")
    driver.find_element(By.ID, "id_username").send_keys(username)
    driver.find_element(By.ID, "id_password").send_keys(PASSWORD)
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits):0{device.digits}d}"
    driver.find_element(By.ID, "id_otp_token").send_keys(code)
    assert _violations(driver) == []
    driver.find_element(By.CSS_SELECTOR, "#login-form input[type=submit]").click()
    _wait(driver).until(expected_conditions.presence_of_element_located((By.ID, "logout-form")))
    assert _violations(driver) == []


def test_the_admin_works_under_its_policy(server, browser):
    yards = [Yard.objects.create(name=f"Yard {n}", address=f"Street {n}") for n in (1, 2)]
    _sign_in(browser, server.url)

    # A change list: "select all" is actions.js, which counts the rows it ticked
    browser.get(f"{server.url}/admin/users/yard/")
    browser.find_element(By.ID, "action-toggle").click()
    boxes = browser.find_elements(By.CSS_SELECTOR, "input.action-select")
    assert len(boxes) == 2 and all(box.is_selected() for box in boxes)
    _wait(browser).until(expected_conditions.text_to_be_present_in_element((By.CSS_SELECTOR, ".action-counter"), "2"))
    assert _violations(browser) == []

    # A change form: "Add another Building" is inlines.js, which adds the inline form's row
    browser.get(f"{server.url}/admin/users/yard/{yards[0].pk}/change/")
    assert browser.find_elements(By.CSS_SELECTOR, "tr.dynamic-buildings") == []
    browser.find_element(By.CSS_SELECTOR, "#buildings-group .add-row a").click()
    row = _wait(browser).until(expected_conditions.presence_of_element_located((By.ID, "buildings-0")))
    row.find_element(By.NAME, "buildings-0-address").send_keys("Amir Temur 1")
    assert browser.find_element(By.ID, "id_buildings-TOTAL_FORMS").get_attribute("value") == "1"
    browser.find_element(By.NAME, "_continue").click()
    _wait(browser).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".messagelist .success")))
    assert list(Building.objects.filter(yard=yards[0]).values_list("address", flat=True)) == ["Amir Temur 1"]
    assert _violations(browser) == []


def test_swagger_ui_renders_the_operations_under_its_policy(server, browser):
    _sign_in(browser, server.url)
    browser.get(f"{server.url}/api/docs/")
    operations = _wait(browser, 40).until(
        expected_conditions.presence_of_all_elements_located((By.CSS_SELECTOR, ".opblock"))
    )
    assert len(operations) > 20  # the whole API, drawn by Swagger UI's scripts from the schema they fetched
    assert browser.find_elements(By.XPATH, "//*[contains(@class, 'opblock-summary-path')][contains(., 'requests')]")
    assert _violations(browser) == []


def test_redoc_renders_the_operations_under_its_policy(server, browser):
    _sign_in(browser, server.url)
    browser.get(f"{server.url}/api/redoc/")
    operations = _wait(browser, 40).until(
        expected_conditions.presence_of_all_elements_located((By.CSS_SELECTOR, "[data-section-id^='operation/']"))
    )
    assert len(operations) > 20
    # its search runs in a blob: worker the page allows
    browser.find_element(By.CSS_SELECTOR, "input[role=search], input.search-input").send_keys("requests")
    _wait(browser).until(
        expected_conditions.presence_of_element_located(
            (By.CSS_SELECTOR, "[data-role='search:results'] li, .search-results li")
        )
    )
    # The one refusal is meant: ReDoc's attribution logo from Redocly's CDN (docs load nothing from elsewhere)
    refused = [v for v in _violations(browser) if REDOCLY_LOGO not in v]
    assert refused == []


def test_the_headers_name_the_policy_of_each_kind_of_answer(server):
    for path in ("/admin/login/", "/api/docs/", "/api/redoc/"):
        response = _headers(server.url + path)
        assert response.status == 200, path
        policy = _directives(response.getheader("Content-Security-Policy") or f"{path}: none")
        assert policy["default-src"] == ["'self'"], path
        assert policy["script-src"] == ["'self'"], path  # no 'unsafe-inline', no 'unsafe-eval'
        assert policy["object-src"] == ["'none'"], path
        assert policy["frame-ancestors"] == ["'none'"], path
        assert policy["base-uri"] == ["'self'"], path
        assert policy["form-action"] == ["'self'"], path
    # JSON answers, the schema and static files load nothing
    for path in ("/api/v1/schema/", "/api/v1/requests", "/healthz", "/static/admin/js/actions.js"):
        response = _headers(server.url + path)
        policy = _directives(response.getheader("Content-Security-Policy") or f"{path}: none")
        assert policy == {"default-src": ["'none'"], "frame-ancestors": ["'none'"]}, (path, response.status)


def test_an_inline_script_injected_into_an_admin_page_is_refused(server, browser):
    _sign_in(browser, server.url)
    browser.get(f"{server.url}/admin/")
    ran = browser.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        window.__injectedRan = false;
        document.addEventListener(
          "securitypolicyviolation", (event) => done([window.__injectedRan, event.violatedDirective])
        );
        const script = document.createElement("script");
        script.textContent = "window.__injectedRan = true;";
        document.body.appendChild(script);
        setTimeout(() => done([window.__injectedRan, null]), 3000);
        """
    )
    assert ran == [False, "script-src-elem"]
    console = [message for message in _violations(browser) if "inline script" in message]
    assert console and "script-src" in console[0]

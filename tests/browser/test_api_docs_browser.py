"""In headless Chromium with no network but this site: Swagger UI and ReDoc render every
operation of the schema, and the pages break none of their own Content-Security-Policy."""

import contextlib
import re
import shutil
from pathlib import Path

import pytest
from rest_framework.test import APIClient

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
CSP_BLOCKED = re.compile(
    r"'(\S+)' violates the following Content Security Policy directive.*The action has been blocked"
)
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"

pytestmark = [
    pytest.mark.skipif(
        not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)),
        reason="needs Debian's chromium and chromium-driver (apt-get install chromium "
        "chromium-driver; .ci/run installs them)",
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def offline_browser():
    """Chromium at 1440×1000 that resolves no host name but localhost: only the live server
    is reachable, so a page that needs a CDN or web fonts fails to render."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1440,1000",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    yield driver
    driver.quit()


def _operation_count() -> int:
    schema = APIClient().get("/api/v1/schema/?format=json").json()
    methods = {"get", "put", "post", "delete", "patch"}
    return sum(len(methods & set(item)) for item in schema["paths"].values())


def _count_reaches(browser, selector: str, expected: int) -> int:
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def count(driver):
        return len(driver.find_elements(By.CSS_SELECTOR, selector))

    with contextlib.suppress(TimeoutException):
        WebDriverWait(browser, 30).until(lambda driver: count(driver) >= expected)
    return count(browser)


def _foreign_requests(browser, origin: str) -> set[str]:
    urls = browser.execute_script(
        "return performance.getEntriesByType('resource').map(entry => entry.name)"
    )
    return {url for url in urls if not url.startswith((origin, "data:", "blob:"))}


def _console_errors(browser) -> tuple[set[str], list[str]]:
    """The URLs the page's Content-Security-Policy refused, and every other console error."""
    refused, errors = set(), []
    for entry in browser.get_log("browser"):
        if entry["level"] != "SEVERE":
            continue
        blocked = CSP_BLOCKED.search(entry["message"])
        if blocked:
            refused.add(blocked.group(1))
        else:
            errors.append(entry["message"])
    return refused, errors


@pytest.mark.parametrize(
    ("page", "operation_selector", "screenshot", "refused"),
    [
        ("/api/v1/docs/", "#swagger-ui .opblock", "swagger-ui.png", set()),
        # ReDoc's bundle always asks its maker's CDN for a logo; the policy refuses it, so no
        # request leaves, and ReDoc then shows no logo.
        ("/api/v1/redoc/", "[data-section-id^='operation/']", "redoc.png", {REDOC_LOGO}),
    ],
    ids=["swagger-ui", "redoc"],
)
def test_docs_render_every_operation_offline(
    offline_browser, live_server, page, operation_selector, screenshot, refused
):
    expected = _operation_count()

    offline_browser.get(live_server.url + page)
    rendered = _count_reaches(offline_browser, operation_selector, expected)

    ARTIFACTS.mkdir(exist_ok=True)
    offline_browser.save_screenshot(str(ARTIFACTS / screenshot))
    assert rendered == expected
    assert _console_errors(offline_browser) == (refused, [])
    # Every address of another site the page named was refused by the policy, not fetched.
    assert _foreign_requests(offline_browser, live_server.url) == refused

"""In headless Chromium with no network but this site: Swagger UI and ReDoc render every
operation of the schema, and the pages break none of their own Content-Security-Policy."""

import contextlib
import re

import pytest
from rest_framework.test import APIClient

CSP_BLOCKED = re.compile(
    r"'(\S+)' violates the following Content Security Policy directive.*The action has been blocked"
)
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"

pytestmark = pytest.mark.django_db(transaction=True)


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
    ("page", "operation_selector", "shot", "refused"),
    [
        ("/api/v1/docs/", "#swagger-ui .opblock", "swagger-ui", set()),
        # ReDoc's bundle always asks its maker's CDN for a logo; the policy refuses it, so no
        # request leaves, and ReDoc then shows no logo.
        ("/api/v1/redoc/", "[data-section-id^='operation/']", "redoc", {REDOC_LOGO}),
    ],
    ids=["swagger-ui", "redoc"],
)
def test_docs_render_every_operation_offline(
    browser, screenshot, live_server, page, operation_selector, shot, refused
):
    expected = _operation_count()

    browser.get(live_server.url + page)
    rendered = _count_reaches(browser, operation_selector, expected)

    screenshot(shot)
    assert rendered == expected
    assert _console_errors(browser) == (refused, [])
    # Every address of another site the page named was refused by the policy, not fetched.
    assert _foreign_requests(browser, live_server.url) == refused

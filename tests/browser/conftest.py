"""The one headless Chromium every browser test drives, and where their screenshots go.

Chromium runs at 1440×1000 and resolves no host name but localhost: only the live server is
reachable, so a page that needs a CDN or web fonts fails here as it would offline or under a
strict Content-Security-Policy. Screenshots land in `artifacts/` at the repository's root
(ignored by git; CI keeps the directory of its clean clone).
"""

import shutil
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
WINDOW = (1440, 1000)


def pytest_collection_modifyitems(config, items):
    """Skip the browser tests on a machine without Debian's chromium and chromium-driver."""
    if shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER):
        return
    skip = pytest.mark.skip(
        reason="needs Debian's chromium and chromium-driver (apt-get install chromium "
        "chromium-driver; .ci/run installs them)"
    )
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(skip)


@pytest.fixture
def browser():
    """Headless Chromium at 1440×1000 with no network but the live server; its console log
    is kept (browser.get_log("browser"))."""
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
        "--window-size={},{}".format(*WINDOW),
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


@pytest.fixture
def screenshot(browser):
    """screenshot(name): save what the browser shows as artifacts/<name>.png; return the path."""

    def save(name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        browser.save_screenshot(str(path))
        return path

    return save

"""In headless Chromium: the import page's samples and columns, a preview with its field diff,
and the import running as a job to completion (the test settings' immediate task engine)."""

import pytest
from django.contrib.auth import get_user_model

from customers.models import Customer
from tests.browser.test_admin_browser import _fill, _wait_for
from tests.conftest import grant_all_patron_permissions
from tests.customers.factories import ChannelFactory, CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)

CSV = (
    "channel,email,first_name,company\n"
    "store,ann@example.com,Ann,New Co\n"
    "store,bob@example.com,Bob,\n"
    "store,not-an-email,Bad,\n"
)


def test_staff_previews_a_diff_and_imports_as_a_job(browser, screenshot, live_server, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    # given
    user = get_user_model().objects.create_user("clerk", password="pw-clerk-123", is_staff=True)
    grant_all_patron_permissions(user)
    channel = ChannelFactory(code="store")
    CustomerFactory(channel=channel, email="ann@example.com", first_name="Ann", company="Old")
    upload = tmp_path / "customers.csv"
    upload.write_text(CSV, encoding="utf-8")
    browser.get(f"{live_server.url}/admin/login/?next=/admin/customers/customer/import/")
    _fill(browser, "username", "clerk")
    _fill(browser, "password", "pw-clerk-123")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()

    # the page offers samples and the column reference
    _wait_for(browser, ec.presence_of_element_located((By.ID, "import-columns")))
    assert browser.find_element(By.CSS_SELECTOR, "#import-samples a.sample-nuvemshop")
    cells = browser.find_elements(By.CSS_SELECTOR, "#import-columns tbody tr td:first-child")
    assert [cell.text for cell in cells][:2] == ["channel", "email"]

    # preview: Ann's company changes, Bob is new, the bad row is rejected
    browser.find_element(By.NAME, "file").send_keys(str(upload))
    browser.find_element(By.CSS_SELECTOR, "input[value=Preview]").click()
    _wait_for(browser, ec.presence_of_element_located((By.ID, "import-changes")))
    diff = browser.find_element(By.CSS_SELECTOR, "#import-changes tr.change-update").text
    assert "company: Old → New Co" in diff
    assert (
        "4 email Enter a valid email address." in browser.find_element(By.ID, "import-errors").text
    )
    screenshot("import-preview")

    # import: the job's page shows it done, with its progress and its error report
    browser.find_element(By.NAME, "import").click()
    _wait_for(browser, ec.url_contains("/admin/jobs/job/"))
    _wait_for(browser, ec.text_to_be_present_in_element((By.CSS_SELECTOR, "#content"), "(100%)"))
    assert browser.find_element(By.CSS_SELECTOR, "a.job-download[href$='/errors/']")
    screenshot("import-job-done")
    assert dict(Customer.objects.values_list("email", "company")) == {
        "ann@example.com": "New Co",
        "bob@example.com": "",
    }

"""The merge screen in Chromium at 1440×1000, offline: from the customer page's Merge button
to a preview with a choice per field, then the merge, the kept customer's page and the
merged one's banner. Screenshots go to artifacts/."""

import pytest
from django.test import Client

from customers.models import Customer
from merges.models import Merge
from tests.merges.conftest import duo, merger_create  # noqa: F401  (duo: a fixture)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def signed_in(browser, live_server):
    """The browser signed in as a staff member with every Patron permission (merge too)."""
    client = Client()
    user = merger_create("merger")
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client.force_login(user)
    browser.get(f"{live_server.url}/admin/login/")
    browser.add_cookie({"name": "sessionid", "value": client.cookies["sessionid"].value})
    return browser


def test_staff_merge_two_customers_choosing_a_field_from_the_preview(
    signed_in,
    live_server,
    screenshot,
    duo,  # noqa: F811  (the fixture imported above)
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser = signed_in
    kept, other = duo
    # given: the kept customer's page, whose Merge button opens the merge screen
    browser.get(f"{live_server.url}/admin/customers/customer/{kept.pk}/change/")
    browser.find_element(By.ID, "merge-button").click()
    browser.find_element(By.ID, "merge-pick")
    browser.find_element(By.ID, "id_merge").send_keys(str(other.pk))
    browser.find_element(By.CSS_SELECTOR, "#merge-pick input[type=submit]").click()

    # when: the preview shows each differing field and what moves, and staff pick the phone
    fields = browser.find_element(By.ID, "merge-fields")
    assert "+1 555 0100" in fields.text
    assert "Orders: 2" in browser.find_element(By.ID, "merge-moves").text
    screenshot("admin-merge-preview")
    assert Merge.objects.count() == 0  # the preview wrote nothing
    browser.find_element(By.CSS_SELECTOR, f"input[name=field_phone][value='{other.pk}']").click()
    browser.find_element(By.CSS_SELECTOR, "#merge-form input[name=confirm]").click()

    # then: the kept customer's page says so (wait for it: the old page's content is still
    # there until the POST answers), it has the chosen phone and the merged one stands for it
    WebDriverWait(browser, 10).until(
        lambda driver: driver.find_elements(By.CSS_SELECTOR, ".messagelist .success")
    )
    kept.refresh_from_db()
    assert kept.phone == "+1 555 0100"
    assert Customer.objects.get(pk=other.pk).merged_into_id == kept.pk
    screenshot("admin-merge-done")
    browser.get(f"{live_server.url}/admin/customers/customer/{other.pk}/change/")
    assert f"customer {kept.pk}" in browser.find_element(By.ID, "merged-banner").text

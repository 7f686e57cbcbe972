"""End to end in headless Chromium: a staff member's day in the customer admin."""

import pytest
from django.contrib.auth import get_user_model

from customers.models import Customer
from tests.conftest import grant_all_patron_permissions
from tests.customers.factories import ChannelFactory, CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _fill(browser, name, value):
    from selenium.webdriver.common.by import By

    field = browser.find_element(By.NAME, name)
    field.clear()
    field.send_keys(value)


def _wait_for(browser, condition):
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 15).until(condition)


def _messages(browser) -> str:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    _wait_for(browser, ec.presence_of_element_located((By.CSS_SELECTOR, "ul.messagelist li")))
    return " ".join(e.text for e in browser.find_elements(By.CSS_SELECTOR, "ul.messagelist li"))


def test_staff_finds_edits_and_acts_on_a_customer(browser, screenshot, live_server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select

    # given
    user = get_user_model().objects.create_user("clerk", password="pw-clerk-123", is_staff=True)
    grant_all_patron_permissions(user)
    channel = ChannelFactory(code="store")
    customer = CustomerFactory(
        channel=channel, email="maria.souza@example.com", first_name="Maria", last_name="Souza"
    )
    CustomerFactory.create_batch(3, channel=channel)

    # log in
    browser.get(f"{live_server.url}/admin/login/?next=/admin/customers/customer/")
    _fill(browser, "username", "clerk")
    _fill(browser, "password", "pw-clerk-123")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    # the login page's own URL names the changelist in ?next=, so wait for the changelist itself
    _wait_for(browser, ec.presence_of_element_located((By.ID, "changelist-search")))
    assert "Select customer to change" in browser.page_source

    # find the customer
    _fill(browser, "q", "souza")
    browser.find_element(By.CSS_SELECTOR, "#changelist-search input[type=submit]").click()
    _wait_for(browser, ec.url_contains("q=souza"))
    _wait_for(browser, ec.presence_of_element_located((By.ID, "result_list")))
    rows = browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    assert len(rows) == 1
    rows[0].find_element(By.LINK_TEXT, "maria.souza@example.com").click()

    # edit it and add an address inline
    _fill(browser, "first_name", "Mariana")
    browser.find_element(By.CSS_SELECTOR, "#addresses-group .add-row a").click()
    _fill(browser, "addresses-0-city", "Curitiba")
    _fill(browser, "addresses-0-country", "br")
    browser.find_element(By.NAME, "_continue").click()
    assert "was changed successfully" in _messages(browser)
    screenshot("customer-page-edited")

    customer.refresh_from_db()
    assert customer.first_name == "Mariana"
    address = customer.addresses.get()
    assert (address.city, address.country, address.is_default) == ("Curitiba", "BR", True)

    # run an action from the list
    browser.get(f"{live_server.url}/admin/customers/customer/?q=maria.souza%40example.com")
    browser.find_element(By.CSS_SELECTOR, "#result_list tbody input.action-select").click()
    Select(browser.find_element(By.NAME, "action")).select_by_value("customers_freeze")
    browser.find_element(By.CSS_SELECTOR, "button[name=index]").click()
    assert "1 customer(s) frozen." in _messages(browser)
    assert Customer.objects.get(pk=customer.pk).status == Customer.Status.FROZEN

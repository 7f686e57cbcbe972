"""The admin as staff see it in Chromium at 1440×1000, offline: the dashboard draws its
charts, the customer and order lists fit the screen, the customer page has its buttons, JSON
editors and a history naming who changed what from where. Screenshots go to artifacts/."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from customers.models import Customer
from jobs.models import Job, JobKind, JobStatus
from orders.services import customer_stats_refresh
from tests.conftest import patron_user_create
from tests.customers.factories import ChannelFactory, CustomerFactory
from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db(transaction=True)

# The widest values a list shows: long e-mails and names, amounts in the millions.
LONG_EMAIL = "maria.aparecida.dos.santos.oliveira.{n}@exemplo-de-loja-virtual.com.br"


@pytest.fixture
def shop(tmp_path):
    brazil = ChannelFactory(code="br-web", name="Loja Brasil", currency="BRL")
    mexico = ChannelFactory(code="mx-marketplace", name="Mercado México", currency="MXN")
    now = timezone.now()
    for n in range(24):
        channel = brazil if n % 3 else mexico
        customer = CustomerFactory(
            channel=channel,
            email=LONG_EMAIL.format(n=n),
            first_name="Maria Aparecida",
            last_name="dos Santos Oliveira",
            created_at=now - datetime.timedelta(days=(n * 7) % 90),
            attributes={"tier": "gold", "newsletter": {"topics": ["sale", "new"]}},
        )
        for k in range(n % 4 + 1):
            OrderFactory(
                customer=customer,
                number=f"WEB-{n:04d}{k:04d}",
                currency=channel.currency,
                total=Decimal("1234567.89") + n,
                placed_at=now - datetime.timedelta(days=(n * 5 + k * 11) % 90, hours=k),
            )
    customer_stats_refresh(customer_ids=list(Customer.objects.values_list("pk", flat=True)))
    path = tmp_path / "spring-customers.csv"
    path.write_text(
        f"channel,email,first_name\nbr-web,{LONG_EMAIL.format(n=1)},Mariana\n", encoding="utf-8"
    )
    call_command("import_customers", str(path), stdout=io.StringIO())
    return brazil, mexico


@pytest.fixture
def signed_in(browser, live_server, shop):
    """The browser signed in as a staff member with every Patron permission."""
    user = patron_user_create("clerk", is_staff=True, first_name="Clara")
    Job.objects.create(kind=JobKind.IMPORT, created_by=user, status=JobStatus.DONE, rows_done=1)
    Job.objects.create(kind=JobKind.EXPORT, created_by=user, status=JobStatus.RUNNING)
    client = Client()
    client.force_login(user)
    browser.get(f"{live_server.url}/admin/login/")
    browser.add_cookie({"name": "sessionid", "value": client.cookies["sessionid"].value})
    return browser


def _open(browser, live_server, path: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(live_server.url + path)
    browser.find_element(By.ID, "content")


def _overflow(browser, selector: str) -> dict:
    return browser.execute_script(
        "const e = document.querySelector(arguments[0]);"
        "return {scroll: e.scrollWidth, client: e.clientWidth,"
        " page: document.documentElement.scrollWidth, window: window.innerWidth};",
        selector,
    )


def test_dashboard_draws_its_charts(signed_in, live_server, screenshot):
    from selenium.webdriver.common.by import By

    _open(signed_in, live_server, "/admin/")
    screenshot("admin-dashboard")

    charts = signed_in.find_elements(By.CSS_SELECTOR, "#dashboard-channels svg.patron-chart")
    assert len(charts) == 4  # new customers and orders, for each of the two channels
    for chart in charts:
        assert chart.is_displayed()
        assert (chart.size["width"], chart.size["height"]) == (270, 48)
        assert chart.find_elements(By.TAG_NAME, "rect")
    revenue = signed_in.find_element(By.CSS_SELECTOR, "tr[data-channel=br-web] .money").text
    assert revenue.endswith(" BRL")
    assert "Import #" in signed_in.find_element(By.ID, "dashboard-imports").text
    assert _overflow(signed_in, "#content")["page"] <= 1440


@pytest.mark.parametrize(
    ("path", "shot", "last_column"),
    [
        ("/admin/customers/customer/", "admin-customer-list", "last_order_short"),
        ("/admin/orders/order/", "admin-order-list", "placed_at_short"),
    ],
    ids=["customers", "orders"],
)
def test_lists_fit_the_screen(signed_in, live_server, screenshot, path, shot, last_column):
    from selenium.webdriver.common.by import By

    _open(signed_in, live_server, path)
    screenshot(shot)

    sizes = _overflow(signed_in, "#changelist-form .results")
    assert sizes["scroll"] <= sizes["client"], sizes
    assert sizes["page"] <= sizes["window"], sizes
    # the last column is on screen and its values are not cut
    cells = signed_in.find_elements(By.CSS_SELECTOR, f"#result_list td.field-{last_column}")
    assert cells
    for cell in cells[:5]:
        right = signed_in.execute_script("return arguments[0].getBoundingClientRect().right", cell)
        assert right <= sizes["window"]
        assert signed_in.execute_script(
            "return arguments[0].scrollWidth <= arguments[0].clientWidth", cell
        )
        assert len(cell.text) == len("2026-12-04 10:30")


def test_customer_page_buttons_json_editor_and_history(signed_in, live_server, screenshot):
    from selenium.webdriver.common.by import By

    customer = Customer.objects.get(email=LONG_EMAIL.format(n=1))
    _open(signed_in, live_server, f"/admin/customers/customer/{customer.pk}/change/")
    screenshot("admin-customer-page")

    assert signed_in.find_element(By.ID, "customer-invite").is_displayed()
    assert signed_in.find_element(By.ID, "customer-anonymize").is_displayed()
    attributes = signed_in.find_element(By.CSS_SELECTOR, "textarea.patron-json[name=attributes]")
    assert attributes.get_attribute("value").startswith('{\n  "tier": "gold",')
    signed_in.execute_script("arguments[0].scrollIntoView()", attributes)
    screenshot("admin-customer-json")

    signed_in.find_element(By.ID, "customer-anonymize").click()
    assert "This cannot be undone." in signed_in.find_element(By.CSS_SELECTOR, ".errornote").text
    screenshot("admin-customer-anonymize-confirm")

    _open(signed_in, live_server, f"/admin/customers/customer/{customer.pk}/history/")
    screenshot("admin-customer-history")
    history = signed_in.find_element(By.ID, "change-history").text
    assert "import (spring-customers.csv)" in history
    assert "None" not in history

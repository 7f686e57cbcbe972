"""The customer page's "Send invitation" and "Anonymize…" buttons: POST forms with CSRF
calling the services the bulk actions call, for users who may change the customer."""

import pytest
from django.core import mail
from django.urls import reverse

from customers.models import Customer
from customers.services import ANONYMIZED_EMAIL
from tests.admin.helpers import customer_change_url
from tests.conftest import patron_user_create
from tests.customers.factories import AddressFactory, ChannelFactory, CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    return CustomerFactory(email="ana@example.com", first_name="Ana")


def _invite(customer) -> str:
    return reverse("admin:customers_customer_invite", args=[customer.pk])


def _anonymize(customer) -> str:
    return reverse("admin:customers_customer_anonymize", args=[customer.pk])


def test_change_page_shows_both_buttons_as_post_forms(staff_client, customer):
    html = staff_client.get(customer_change_url(customer)).content.decode()

    assert f'<form method="post" action="{_invite(customer)}">' in html
    assert f'<form method="post" action="{_anonymize(customer)}">' in html
    assert html.count('name="csrfmiddlewaretoken"') >= 3  # the buttons' and the page's


def test_invite_button_sends_the_invitation(
    staff_client, customer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(_invite(customer))

    assert response.status_code == 302
    assert response.url == customer_change_url(customer)
    assert [message.to for message in mail.outbox] == [["ana@example.com"]]


def test_anonymize_button_asks_first_and_changes_nothing(staff_client, customer):
    response = staff_client.post(_anonymize(customer))

    assert response.status_code == 200
    assert "This cannot be undone." in response.content.decode()
    assert Customer.objects.get(pk=customer.pk).email == "ana@example.com"


def test_anonymize_button_after_confirmation(staff_client, customer):
    AddressFactory(customer=customer, city="Lisbon")

    response = staff_client.post(_anonymize(customer), {"apply": "yes"})

    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.email == ANONYMIZED_EMAIL.format(pk=customer.pk)
    assert customer.first_name == ""


@pytest.mark.parametrize("url", [_invite, _anonymize], ids=["invite", "anonymize"])
def test_buttons_refuse_a_get(staff_client, customer, url):
    assert staff_client.get(url(customer)).status_code == 403
    assert mail.outbox == []


@pytest.mark.parametrize("url", [_invite, _anonymize], ids=["invite", "anonymize"])
def test_buttons_refuse_staff_who_may_only_view(client, customer, url):
    from django.contrib.auth.models import Permission

    viewer = patron_user_create("viewer", is_staff=True)
    viewer.user_permissions.remove(Permission.objects.get(codename="change_customer"))
    client.force_login(viewer)

    assert client.get(customer_change_url(customer)).status_code == 200
    assert 'id="customer-invite"' not in client.get(customer_change_url(customer)).content.decode()
    assert client.post(url(customer), {"apply": "yes"}).status_code == 403
    assert Customer.objects.get(pk=customer.pk).email == "ana@example.com"


@pytest.mark.parametrize("url", [_invite, _anonymize], ids=["invite", "anonymize"])
def test_buttons_do_not_reach_another_channels_customer(client, customer, url):
    clerk = patron_user_create("clerk", is_staff=True)
    ChannelFactory().api_users.add(clerk)
    client.force_login(clerk)

    assert client.post(url(customer), {"apply": "yes"}).status_code == 404
    assert Customer.objects.get(pk=customer.pk).email == "ana@example.com"

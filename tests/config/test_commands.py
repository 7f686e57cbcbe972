from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Sum

from customers.models import Address, Channel, Customer
from groups.models import UserCustomerGroup, UserGroup
from orders.models import Order, OrderItem
from orders.services import COUNTED_STATUSES
from tests.customers.factories import ChannelFactory

pytestmark = pytest.mark.django_db


def run(*args, **options):
    out = StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


def test_create_api_token_prints_a_working_token_last(anon_client):
    Channel.objects.create(code="web", name="Web")
    key = run("create_api_token", "erp").strip().splitlines()[-1]

    anon_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = anon_client.get("/api/v1/channels/")

    assert response.status_code == 200
    assert response.data["count"] == 1


def test_create_api_token_keeps_the_user_and_adds_a_key_each_time(anon_client):
    first = run("create_api_token", "erp", "--name", "erp-1").splitlines()[-1]
    second = run("create_api_token", "erp", "--name", "erp-2").splitlines()[-1]

    assert first != second
    assert get_user_model().objects.filter(username="erp").count() == 1
    for key in (first, second):
        anon_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        assert anon_client.get("/api/v1/customers/").status_code == 200


def test_create_api_token_refuses_a_name_the_user_already_has():
    run("create_api_token", "erp", "--name", "erp-1")
    with pytest.raises(CommandError, match="already has a key named 'erp-1'"):
        run("create_api_token", "erp", "--name", "erp-1")


def test_create_api_token_superuser_and_channels():
    ChannelFactory(code="a")
    ChannelFactory(code="b")
    run("create_api_token", "boss", "--superuser")
    run("create_api_token", "shop", "--channels", "a,b")

    assert get_user_model().objects.get(username="boss").is_superuser
    shop = get_user_model().objects.get(username="shop")
    assert sorted(shop.api_channels.values_list("code", flat=True)) == ["a", "b"]


def test_create_api_token_rejects_unknown_channels():
    with pytest.raises(CommandError, match="Unknown channel code"):
        run("create_api_token", "shop", "--channels", "nope")
    assert not get_user_model().objects.filter(username="shop").exists()


def _snapshot():
    return list(
        Customer.objects.order_by("email").values_list("email", "first_name", "phone", "status")
    )


def test_seed_demo_writes_realistic_related_data():
    output = run("seed_demo", "--customers", "300", "--orders-per-customer", "2", "--seed", "7")

    assert "Seeded 300 customers" in output
    assert Customer.objects.count() == 300
    assert Order.objects.count() == 600
    assert OrderItem.objects.exists()
    assert Address.objects.filter(is_default=True).count() == 300
    assert UserCustomerGroup.objects.exists()
    assert UserGroup.objects.filter(parent__parent__parent__isnull=False).exists()
    assert Customer.objects.filter(status="frozen").exists()
    assert Customer.objects.filter(status="inactive").exists()
    assert len(set(Address.objects.values_list("country", flat=True))) >= 3


def test_seed_demo_statistics_match_the_orders():
    run("seed_demo", "--customers", "50")

    expected = {
        row["customer"]: (row["n"], row["spent"])
        for row in Order.objects.filter(status__in=COUNTED_STATUSES)
        .values("customer")
        .annotate(n=Count("id"), spent=Sum("total"))
    }
    for customer in Customer.objects.all():
        count, spent = expected.get(customer.pk, (0, 0))
        assert (customer.orders_count, customer.total_spent) == (count, spent)


def test_seed_demo_is_deterministic_for_a_seed():
    run("seed_demo", "--customers", "40", "--seed", "3")
    first = _snapshot()
    Order.objects.all().delete()
    Customer.objects.all().delete()

    run("seed_demo", "--customers", "40", "--seed", "3")

    assert _snapshot() == first


def test_seed_demo_twice_adds_more_without_collisions():
    run("seed_demo", "--customers", "20")
    run("seed_demo", "--customers", "20")
    assert Customer.objects.count() == 40

"""ETag and If-Match on one customer, Idempotency-Key on POST: the native rules, here too."""

import pytest

from customers.models import Customer
from groups.models import UserGroup
from tests.compat.xml.conftest import url
from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db

CHANGE = "<ResultSet><Customer><b_fname>New</b_fname></Customer></ResultSet>"


@pytest.fixture
def customer(channel):
    return CustomerFactory(channel=channel, username="a", email="a@example.com", first_name="Old")


def test_get_answers_the_version_as_etag(client, customer):
    response = client.get(url("web", "Customer/a"))

    assert response["ETag"] == f'"{customer.version}"'


def test_put_with_a_stale_if_match_is_412_and_changes_nothing(send, client, customer):
    current = client.get(url("web", "Customer/a"))["ETag"]

    stale = send("put", url("web", "Customer/a"), CHANGE, HTTP_IF_MATCH='"999"')
    fresh = send("put", url("web", "Customer/a"), CHANGE, HTTP_IF_MATCH=current)

    assert stale.status_code == 412
    assert fresh.status_code == 200
    assert fresh["ETag"] == f'"{Customer.objects.get().version}"' != current
    assert Customer.objects.get().first_name == "New"


def test_delete_with_a_stale_if_match_is_412(client, customer):
    assert client.delete(url("web", "Customer/a"), HTTP_IF_MATCH='"999"').status_code == 412
    assert Customer.objects.exists()


def test_a_post_retried_with_its_idempotency_key_is_replayed(send, channel):
    body = "<ResultSet><UserGroup><code>g</code><title>G</title></UserGroup></ResultSet>"

    first = send("post", url("web", "UserGroups"), body, HTTP_IDEMPOTENCY_KEY="key-1")
    UserGroup.objects.update(title="Changed since")
    again = send("post", url("web", "UserGroups"), body, HTTP_IDEMPOTENCY_KEY="key-1")
    other = send(
        "post", url("web", "UserGroups"), body.replace(">G<", ">H<"), HTTP_IDEMPOTENCY_KEY="key-1"
    )

    assert again.status_code == first.status_code == 200
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert UserGroup.objects.get().title == "Changed since"
    assert other.status_code == 422

"""GET /api/v1/events/: ordered, cursor-paged, filtered, channel-scoped, strict."""

import pytest

from customers.services import channel_create, customer_create, customer_update
from groups.services import group_create
from tests.conftest import api_client_for
from tests.events.conftest import feed_user_create

pytestmark = pytest.mark.django_db
FEED = "/api/v1/events/"


@pytest.fixture
def writes(superuser):
    """Two channels; a customer created and changed in each; a group (no channel)."""
    web = channel_create(data={"code": "web", "name": "Web"})
    shop = channel_create(data={"code": "shop", "name": "Shop"})
    ann = customer_create(data={"channel": "web", "email": "ann@example.com"}, user=superuser)
    bob = customer_create(data={"channel": "shop", "email": "bob@example.com"}, user=superuser)
    customer_update(customer=ann, data={"first_name": "Ann"}, user=superuser, partial=True)
    vip = group_create(data={"code": "vip", "title": "VIP"})
    return web, shop, ann, bob, vip


def _read_all(client, params=None, limit=2):
    """Page through the feed with its cursors; return the events and the last cursor."""
    events, after = [], None
    while True:
        query = {"limit": limit, **(params or {})} | ({"after": after} if after else {})
        response = client.get(FEED, query)
        assert response.status_code == 200, response.data
        after = response.data["next"]
        if not response.data["results"]:
            return events, after
        events += response.data["results"]


def test_paging_reads_every_event_once_in_order(feed_client, writes):
    web, shop, ann, bob, vip = writes

    events, last = _read_all(feed_client)

    assert [(e["type"], e["object_id"]) for e in events] == [
        ("channel.created", web.pk),
        ("channel.created", shop.pk),
        ("customer.created", ann.pk),
        ("customer.created", bob.pk),
        ("customer.updated", ann.pk),
        ("group.created", vip.pk),
    ]
    assert events[4]["changed"] == ["first_name"]
    assert last == events[-1]["cursor"]
    # Polling from the end: an empty page keeps the cursor.
    again = feed_client.get(FEED, {"after": last})
    assert (again.data["results"], again.data["next"]) == ([], last)


def test_filters_by_type_prefix_and_object(feed_client, writes):
    ann = writes[2]

    updated, _ = _read_all(feed_client, {"type": "customer.updated"})
    customers, _ = _read_all(feed_client, {"type": "customer.*,group.*"})
    one, _ = _read_all(feed_client, {"object_type": "customer", "object_id": ann.pk})

    assert [e["type"] for e in updated] == ["customer.updated"]
    assert [e["type"] for e in customers] == [
        "customer.created",
        "customer.created",
        "customer.updated",
        "group.created",
    ]
    assert [e["type"] for e in one] == ["customer.created", "customer.updated"]


def test_a_channel_limited_reader_sees_its_channels_and_groups(writes):
    web = writes[0]
    client = api_client_for(feed_user_create("web-reader", channels=[web]))

    events, _ = _read_all(client)

    assert [(e["type"], e["channel"]) for e in events] == [
        ("channel.created", "web"),
        ("customer.created", "web"),
        ("customer.updated", "web"),
        ("group.created", ""),
    ]


def test_an_event_shows_its_fields(feed_client, writes):
    ann = writes[2]

    event = feed_client.get(FEED, {"type": "customer.updated"}).data["results"][0]

    assert set(event) == {
        "id",
        "cursor",
        "type",
        "channel",
        "object_type",
        "object_id",
        "occurred_at",
        "actor_user_id",
        "actor_source",
        "changed",
        "payload",
    }
    assert (event["actor_source"], event["channel"]) == ("command", "web")
    assert event["payload"]["first_name"] == "Ann"
    assert event["payload"]["id"] == ann.pk


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        pytest.param({"after": "x"}, "after", "Not a cursor", id="bad-cursor"),
        pytest.param({"after": f"0.{2**63}"}, "after", "Not a cursor", id="cursor-too-big"),
        pytest.param({"after": "1.2.3"}, "after", "Not a cursor", id="cursor-three-parts"),
        pytest.param({"object_id": 2**63}, "object_id", "less than or equal", id="id-too-big"),
        pytest.param({"limit": 0}, "limit", "greater than or equal to 1", id="limit-low"),
        pytest.param({"limit": 1001}, "limit", "less than or equal to 1000", id="limit-high"),
        pytest.param(
            {"type": "customer.create"},
            "type",
            "Unknown event type 'customer.create'. Did you mean 'customer.created'?",
            id="unknown-type",
        ),
        pytest.param({"object_type": "person"}, "object_type", "not a valid choice", id="object"),
        pytest.param({"since_id": 1}, "since_id", "Unknown query parameter", id="unknown-param"),
    ],
)
def test_bad_parameters_are_400_naming_them(feed_client, params, field, message):
    response = feed_client.get(FEED, params)

    assert response.status_code == 400
    assert message in str(response.data[field][0])


def test_the_feed_needs_the_view_permission(api_client, anon_client):
    assert anon_client.get(FEED).status_code == 401
    assert api_client.get(FEED).status_code == 403


def test_list_query_count_does_not_grow_with_events(
    feed_client, writes, superuser, django_assert_num_queries
):
    """The user's channels and one page of events: two queries, whatever the page size."""
    feed_client.get(FEED)  # loads the user's permissions, which Django then caches
    with django_assert_num_queries(2):
        few = feed_client.get(FEED, {"limit": 2})
    for index in range(20):
        customer_create(data={"channel": "web", "email": f"c{index}@example.com"}, user=superuser)
    with django_assert_num_queries(2):
        many = feed_client.get(FEED, {"limit": 25})

    assert (len(few.data["results"]), len(many.data["results"])) == (2, 25)

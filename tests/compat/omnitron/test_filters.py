"""Every filter and lookup of the seed's filter table, sent by its Omnitron name."""

import datetime
import json
from pathlib import Path

import pytest

from customers.models import Customer
from tests.compat.omnitron.conftest import BASE

pytestmark = pytest.mark.django_db

SEED_FILTERS = Path(__file__).parent / "seeds" / "filters.txt"
# Integration mappings are an Omnitron feature Patron does not have.
UNSUPPORTED = {"mapping"}


def seed_filter_params() -> set[str]:
    """`name` for an exact lookup, `name__lookup` for the others, as the seed lists them."""
    table = json.loads("{" + SEED_FILTERS.read_text() + "}")["filters"]
    params = set()
    for name, spec in table.items():
        if name in UNSUPPORTED:
            continue
        for lookup in spec["lookup_types"]:
            params.add(name if lookup == "exact" else f"{name}__{lookup}")
    return params


# (query parameters, the people expected). "{ann}" is replaced by Ann's id, etc.
CASES = {
    "created_date": ({"created_date": "2024-01-15T10:00:00Z"}, {"ann"}),
    "created_date__gt": ({"created_date__gt": "2024-01-15T10:00:00Z"}, {"bob", "cid"}),
    "created_date__gte": ({"created_date__gte": "2024-01-16T10:00:00Z"}, {"bob", "cid"}),
    "created_date__lt": ({"created_date__lt": "2024-01-16T10:00:00Z"}, {"ann"}),
    "created_date__lte": ({"created_date__lte": "2024-01-16T10:00:00Z"}, {"ann", "bob"}),
    "created_date__date": ({"created_date__date": "2024-01-16"}, {"bob"}),
    "modified_date": ({"modified_date": "2024-03-01T10:00:00Z"}, {"ann"}),
    "modified_date__gt": ({"modified_date__gt": "2024-03-01T10:00:00Z"}, {"bob", "cid"}),
    "modified_date__gte": ({"modified_date__gte": "2024-03-02T10:00:00Z"}, {"bob", "cid"}),
    "modified_date__lt": ({"modified_date__lt": "2024-03-02T10:00:00Z"}, {"ann"}),
    "modified_date__lte": ({"modified_date__lte": "2024-03-02T10:00:00Z"}, {"ann", "bob"}),
    "modified_date__date": ({"modified_date__date": "2024-03-03"}, {"cid"}),
    "attributes": ({"attributes": '{"size": "M"}'}, {"ann"}),
    "attributes__<key>": ({"attributes__size": "L"}, {"bob"}),
    "channel": ({"channel": "{web}"}, {"ann", "bob"}),
    "channel repeated": ({"channel": ["{web}", "{shop}"]}, {"ann", "bob", "cid"}),
    "email": ({"email": "ann@example.com"}, {"ann"}),
    "email__startswith": ({"email__startswith": "cid"}, {"cid"}),
    "first_name": ({"first_name": "Bob"}, {"bob"}),
    "last_name": ({"last_name": "Moe"}, {"cid"}),
    "phone_number": ({"phone_number": "222"}, {"bob"}),
    "is_active": ({"is_active": "true"}, {"ann"}),
    "is_active false": ({"is_active": "false"}, {"bob", "cid"}),
    "channel_code": ({"channel_code": "C1"}, {"ann"}),
    "erp_code": ({"erp_code": "E1"}, {"ann"}),
    "extra_field": ({"extra_field": '{"source": "ads"}'}, {"ann"}),
    "extra_field__<key>": ({"extra_field__source": "ads"}, {"ann"}),
    "email_allowed": ({"email_allowed": "true"}, {"ann"}),
    "sms_allowed": ({"sms_allowed": "true"}, {"bob"}),
    "call_allowed": ({"call_allowed": "true"}, {"cid"}),
    "date_joined": ({"date_joined": "2024-01-15T10:00:00Z"}, {"ann"}),
    "gender": ({"gender": "male"}, {"bob"}),
    "user_type": ({"user_type": "guest"}, {"bob"}),
    "date_of_birth": ({"date_of_birth": "1990-01-01"}, {"ann"}),
    **{
        f"{name}{suffix}": ({f"{name}{suffix}": value}, expected)
        for name in ("id", "pk")
        for suffix, value, expected in (
            ("", "{ann}", {"ann"}),
            ("__gt", "{ann}", {"bob", "cid"}),
            ("__gte", "{bob}", {"bob", "cid"}),
            ("__lt", "{bob}", {"ann"}),
            ("__lte", "{bob}", {"ann", "bob"}),
        )
    },
}


@pytest.fixture
def ids(people):
    """The people's and channels' ids, with modified dates and join dates of their own."""
    march = datetime.datetime(2024, 3, 1, 10, 0, tzinfo=datetime.UTC)
    for days, name in enumerate(("ann", "bob", "cid")):
        Customer.objects.filter(pk=people[name].pk).update(
            updated_at=march + datetime.timedelta(days=days)
        )
    Customer.objects.filter(pk__in=[people["bob"].pk, people["cid"].pk]).update(date_joined=march)
    found = {name: customer.pk for name, customer in people.items()}
    found.update(web=people["ann"].channel_id, shop=people["cid"].channel_id)
    return found


def _filled(value, ids):
    if isinstance(value, list):
        return [_filled(item, ids) for item in value]
    return value.format(**ids) if value.startswith("{") and value.strip("{}") in ids else value


def test_every_seed_filter_lookup_has_a_case():
    assert seed_filter_params() <= set(CASES)


@pytest.mark.parametrize("case", list(CASES))
def test_seed_filter_finds_exactly_the_matching_customers(client, ids, case):
    # given
    params, expected = CASES[case]
    names = {pk: name for name, pk in ids.items() if name in ("ann", "bob", "cid")}
    # when
    response = client.get(BASE, {key: _filled(value, ids) for key, value in params.items()})
    # then
    assert response.status_code == 200, response.data
    assert list(response.data) == ["count", "next", "previous", "results"]
    assert response.data["count"] == len(expected)
    assert {names[item["pk"]] for item in response.data["results"]} == expected


def test_channel_scoped_user_cannot_filter_by_another_channel(web_client, ids):
    response = web_client.get(BASE, {"channel": ids["shop"]})

    assert response.status_code == 400
    assert list(response.data) == ["channel"]


def test_channel_scoped_user_lists_only_its_channel(web_client, ids):
    response = web_client.get(BASE)

    assert response.status_code == 200
    assert {item["pk"] for item in response.data["results"]} == {ids["ann"], ids["bob"]}


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("created_date__gte", "yesterday"),
        ("modified_date__date", "2024-13-01"),
        ("channel", "web"),
        ("channel", "99999999999999999999999"),
        ("channel", "9" * 5000),
        ("id__gt", "99999999999999999999999"),
        ("pk", "one"),
        ("is_active", "maybe"),
        ("gender", "robot"),
        ("date_of_birth", "1990-02-30"),
        ("attributes", "[1, 2]"),
        ("extra_field", "{not json"),
        ("limit", "0"),
        ("limit", "201"),
        ("page", "zero"),
    ],
    ids=lambda value: str(value)[:24],
)
def test_bad_filter_value_is_a_400_naming_the_parameter(client, ids, param, value):
    response = client.get(BASE, {param: value})

    assert response.status_code == 400
    assert list(response.data) == [param]


@pytest.mark.parametrize(
    ("param", "suggestion"),
    [
        ("mapping", None),
        ("created_at__gte", "created_date__gte"),
        ("phone", "phone_number"),
        ("per_page", None),
        ("fields", None),
        ("ordering", None),
        ("since_id", None),
    ],
)
def test_unknown_query_parameter_is_a_400_naming_it(client, ids, param, suggestion):
    response = client.get(BASE, {param: "1"})

    assert response.status_code == 400
    message = response.data[param][0]
    assert message.startswith(f"Unknown query parameter '{param}'.")
    if suggestion is not None:
        assert message.endswith(f"Did you mean '{suggestion}'?")

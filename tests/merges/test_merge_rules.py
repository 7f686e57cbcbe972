"""Merge validation (400 naming the field), permission and channel scope."""

import pytest
from django.contrib.auth.models import Permission

from customers.models import Channel, Customer
from merges.models import Merge
from merges.services.merge import (
    CUSTOMER_ALREADY_MERGED,
    CUSTOMER_OTHER_CHANNEL,
    CUSTOMER_UNKNOWN,
    FIELD_CHOICE_OUTSIDE,
    KEEP_IN_MERGE,
)
from tests.conftest import api_client_for, patron_user_create
from tests.merges.conftest import merger_create

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/merge/"


def test_unknown_field_names_are_refused(merger_client, duo):
    kept, other = duo

    response = merger_client.post(
        URL, {"keep": kept.pk, "merge": [other.pk], "fields": {"shoe_size": kept.pk}}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["fields"]
    assert list(response.json()["fields"]) == ["shoe_size"]
    assert Merge.objects.count() == 0


def test_unknown_body_names_are_refused(merger_client, duo):
    kept, other = duo

    response = merger_client.post(
        URL, {"keep": kept.pk, "merge": [other.pk], "dryrun": True}, format="json"
    )

    assert response.status_code == 400
    assert "dryrun" in response.json()


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (lambda k, o, x: {"keep": k, "merge": [k]}, "merge", KEEP_IN_MERGE),
        (
            lambda k, o, x: {"keep": k, "merge": [999999]},
            "merge",
            CUSTOMER_UNKNOWN.format(pk=999999),
        ),
        (
            lambda k, o, x: {"keep": 999999, "merge": [o]},
            "keep",
            CUSTOMER_UNKNOWN.format(pk=999999),
        ),
        (
            lambda k, o, x: {"keep": k, "merge": [x]},
            "merge",
            CUSTOMER_OTHER_CHANNEL.format(pk="{x}"),
        ),
        (
            lambda k, o, x: {"keep": k, "merge": [o], "fields": {"phone": x}},
            "fields",
            FIELD_CHOICE_OUTSIDE.format(pk="{x}"),
        ),
    ],
    ids=["keep-in-merge", "unknown-merge", "unknown-keep", "other-channel", "choice-outside"],
)
def test_bad_requests_name_the_field(merger_client, duo, body, field, message):
    kept, other = duo
    stranger = Customer.objects.create(
        channel=Channel.objects.create(code="shop", name="Shop"), email="x@example.com"
    )

    response = merger_client.post(URL, body(kept.pk, other.pk, stranger.pk), format="json")

    assert response.status_code == 400
    errors = response.json()[field]
    flat = errors["phone"] if isinstance(errors, dict) else errors
    assert flat == [message.format(x=stranger.pk)]
    assert Customer.objects.filter(merged_into__isnull=False).count() == 0


def test_an_already_merged_customer_cannot_be_merged_again(merger_client, duo):
    kept, other = duo
    assert (
        merger_client.post(URL, {"keep": kept.pk, "merge": [other.pk]}, format="json").status_code
        == 200
    )
    third = Customer.objects.create(channel=kept.channel, email="third@example.com")

    response = merger_client.post(URL, {"keep": third.pk, "merge": [other.pk]}, format="json")

    assert response.status_code == 400
    assert response.json() == {"merge": [CUSTOMER_ALREADY_MERGED.format(pk=other.pk, into=kept.pk)]}


def test_merging_needs_the_merge_permission(duo):
    kept, other = duo
    user = patron_user_create("plain")
    user.user_permissions.remove(Permission.objects.get(codename="merge_customer"))
    client = api_client_for(user)

    merged = client.post(URL, {"keep": kept.pk, "merge": [other.pk]}, format="json")
    listed = client.get("/api/v1/merges/")

    assert merged.status_code == 403
    assert listed.status_code == 403
    assert Merge.objects.count() == 0


def test_undo_needs_the_merge_permission(merger_client, duo):
    kept, other = duo
    merge_id = merger_client.post(
        URL, {"keep": kept.pk, "merge": [other.pk]}, format="json"
    ).json()["merge"]
    user = patron_user_create("viewer")
    user.user_permissions.remove(Permission.objects.get(codename="merge_customer"))

    response = api_client_for(user).post(f"/api/v1/merges/{merge_id}/undo/")

    assert response.status_code == 403
    assert Merge.objects.get().undone_at is None


def test_a_channel_limited_user_cannot_merge_other_channels_customers(duo):
    # given: a merger limited to another channel
    kept, other = duo
    user = merger_create("shop-merger")
    Channel.objects.create(code="shop", name="Shop").api_users.add(user)
    client = api_client_for(user)

    # when
    response = client.post(URL, {"keep": kept.pk, "merge": [other.pk]}, format="json")

    # then
    assert response.status_code == 400
    assert response.json()["keep"] == [CUSTOMER_UNKNOWN.format(pk=kept.pk)]
    assert Merge.objects.count() == 0


def test_a_channel_limited_user_sees_no_other_channels_merges(merger_client, duo):
    kept, other = duo
    merge_id = merger_client.post(
        URL, {"keep": kept.pk, "merge": [other.pk]}, format="json"
    ).json()["merge"]
    user = merger_create("shop-merger")
    Channel.objects.create(code="shop", name="Shop").api_users.add(user)
    client = api_client_for(user)

    assert client.get("/api/v1/merges/").json()["results"] == []
    assert client.get(f"/api/v1/merges/{merge_id}/").status_code == 404
    assert client.post(f"/api/v1/merges/{merge_id}/undo/").status_code == 404
    assert client.get(f"/api/v1/customers/{other.pk}/").status_code == 404
    assert "merged_into" not in client.get(f"/api/v1/customers/{other.pk}/").json()

"""The candidate pairs table follows every write that changes match keys, and always equals
a recompute from scratch."""

import contextlib
import io
import json
import random
from itertools import combinations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import ProtectedError

from customers.match_pairs import GROUP_MAX, REASON_BITS, SAME_PHONE, candidate_pairs_rebuild
from customers.models import Address, CandidatePair, Customer
from customers.services import (
    address_create,
    address_update,
    channel_update,
    customer_anonymize,
    customer_delete,
    customer_update,
)
from duplicates.services import UNKNOWN_CHANNEL
from merges.services import customer_merge, merge_undo
from tests.merges.conftest import merger_create

pytestmark = pytest.mark.django_db

LIST = "/api/v1/duplicates/"
CUSTOMERS = "/api/v1/customers/"
PHONE = "(11) 98765-4321"
ADDRESS = {"address": "Rua A", "number": "12", "zipcode": "01310-100"}


def _table() -> list[tuple[int, int, int, int]]:
    return sorted(
        CandidatePair.objects.values_list("customer_low_id", "customer_high_id", "score", "reasons")
    )


def _pairs() -> list[tuple[int, int]]:
    return [(low, high) for low, high, _, _ in _table()]


def _assert_fresh() -> None:
    """The table is what a recompute from the stored keys gives."""
    kept = _table()
    candidate_pairs_rebuild()
    assert _table() == kept


def _all_pairs(customers) -> list[tuple[int, int]]:
    return sorted(combinations(sorted(c.pk for c in customers), 2))


def test_an_api_create_and_update_make_and_unmake_a_pair(api_client, brazil, make):
    # given
    a = make(brazil, "a@example.com", phone=PHONE)
    # when: created through the API with the same phone
    created = api_client.post(CUSTOMERS, {"channel": "br", "email": "b@x.com", "phone": PHONE})
    b = created.json()["id"]
    # then
    assert _table() == [(a.pk, b, 20, REASON_BITS[SAME_PHONE])]
    # when: its phone changes, then comes back
    api_client.patch(f"{CUSTOMERS}{b}/", {"phone": "11 91234-5678"}, format="json")
    gone = _pairs()
    api_client.patch(f"{CUSTOMERS}{b}/", {"phone": PHONE}, format="json")
    # then
    assert (gone, _pairs()) == ([], [(a.pk, b)])
    _assert_fresh()


def test_the_upsert_list_and_the_import_keep_the_pairs(api_client, brazil, make, tmp_path):
    # given: one customer, then two more with its identification in one upsert
    a = make(brazil, "a@example.com", identification="123.456.789-09")
    items = [
        {"channel": "br", "email": f"{n}@example.com", "identification": "12345678909"}
        for n in "bc"
    ]
    assert api_client.post(f"{CUSTOMERS}upsert/", items, format="json").status_code == 200
    b, c = (Customer.objects.get(email=f"{n}@example.com").pk for n in "bc")
    assert _pairs() == [(a.pk, b), (a.pk, c), (b, c)]
    # when: an import file gives b another identification
    path = tmp_path / "customers.ndjson"
    row = {"channel": "br", "email": "b@example.com", "identification": "98765432100"}
    path.write_text(json.dumps(row) + "\n")
    call_command("import_customers", str(path), stdout=io.StringIO())
    # then
    assert _pairs() == [(a.pk, c)]
    _assert_fresh()


def test_a_large_upsert_of_existing_customers_keeps_the_pairs(api_client, brazil):
    """More rows than the writer updates inline: their keys are staged with the UPDATE."""
    # given: 24 customers, no pairs
    emails = [f"c{n}@example.com" for n in range(24)]
    rows = [
        {"channel": "br", "email": email, "identification": f"5555{n:04d}"}
        for n, email in enumerate(emails)
    ]
    assert api_client.post(f"{CUSTOMERS}upsert/", rows, format="json").status_code == 200
    assert _pairs() == []
    # when: each two take one identification
    for n, row in enumerate(rows):
        row["identification"] = f"7777{n // 2:04d}"
    assert api_client.post(f"{CUSTOMERS}upsert/", rows, format="json").status_code == 200
    # then
    ids = dict(Customer.objects.values_list("email", "pk"))
    pairs = [sorted((ids[emails[n]], ids[emails[n + 1]])) for n in range(0, 24, 2)]
    assert _table() == sorted(
        (low, high, 30, REASON_BITS["same_identification"]) for low, high in pairs
    )
    _assert_fresh()


def test_an_address_change_makes_and_unmakes_a_name_pair(brazil, make):
    # given: the same name, one address each, next door
    a = make(brazil, "a@example.com", first_name="José", last_name="Silva", addresses=[ADDRESS])
    b = make(brazil, "b@example.com", first_name="Jose", last_name="Silva")
    address = address_create(customer=b, data={**ADDRESS, "number": "14"})
    assert _pairs() == []
    # when: b's address is the same house; then b moves again
    address_update(address=address, data={**ADDRESS})
    same = _pairs()
    address_update(address=Address.objects.get(pk=address.pk), data={**ADDRESS, "number": "99"})
    # then
    assert (same, _pairs()) == ([(a.pk, b.pk)], [])
    _assert_fresh()


def test_anonymising_a_customer_drops_its_pairs(brazil, make):
    a = make(brazil, "a@example.com", phone=PHONE)
    b = make(brazil, "b@example.com", phone=PHONE)
    assert _pairs() == [(a.pk, b.pk)]
    customer_anonymize(customer=b)
    assert _pairs() == []
    _assert_fresh()


def test_a_merge_drops_the_pairs_of_the_merged_and_its_undo_gives_them_back(brazil, make):
    # given: three customers on one phone
    kept, merged, third = (make(brazil, f"{n}@example.com", phone=PHONE) for n in "abc")
    user = merger_create()
    # when
    outcome = customer_merge(keep=kept.pk, merge=[merged.pk], user=user)
    after_merge = _pairs()
    merge_undo(merge=outcome.merge, user=user)
    # then
    assert after_merge == [(kept.pk, third.pk)]
    assert _pairs() == _all_pairs([kept, merged, third])
    _assert_fresh()


def test_a_key_crossing_the_placeholder_threshold_drops_its_pairs_and_gains_them_back(brazil, make):
    # given: GROUP_MAX customers on one phone pair with each other
    group = [make(brazil, f"c{n}@example.com", phone=PHONE) for n in range(GROUP_MAX)]
    other = make(brazil, "other@example.com", phone="11 91234-5678")
    assert _pairs() == _all_pairs(group)
    # when: one more takes the phone, the key is a placeholder
    customer_update(customer=other, data={"phone": PHONE}, user=merger_create(), partial=True)
    crossed = _pairs()
    # when: it leaves again
    other.refresh_from_db()
    customer_update(customer=other, data={"phone": ""}, user=merger_create("m2"), partial=True)
    # then
    assert (crossed, _pairs()) == ([], _all_pairs(group))
    _assert_fresh()


def test_a_batch_that_pushes_a_key_over_the_threshold_drops_the_old_pairs(api_client, brazil, make):
    # given: three customers pair on one phone
    make(brazil, "a@example.com", phone=PHONE)
    make(brazil, "b@example.com", phone=PHONE)
    items = [{"channel": "br", "email": f"n{n}@example.com", "phone": PHONE} for n in range(10)]
    # when: ten more come in one upsert
    assert api_client.post(f"{CUSTOMERS}upsert/", items, format="json").status_code == 200
    # then
    assert _pairs() == []
    _assert_fresh()


def test_deleting_a_customer_of_a_placeholder_key_gives_the_rest_their_pairs(brazil, make):
    group = [make(brazil, f"c{n}@example.com", phone=PHONE) for n in range(GROUP_MAX + 1)]
    assert _pairs() == []
    customer_delete(customer=group[0])
    assert _pairs() == _all_pairs(group[1:])
    _assert_fresh()


def test_a_channels_new_country_rekeys_its_phones_and_their_pairs(usa, make):
    # given: Brazilian numbers without the country code, read in the US: no key
    a = make(usa, "a@example.com", phone="(11) 98765-4321")
    b = make(usa, "b@example.com", phone="11 98765 4321")
    assert _pairs() == []
    # when
    channel_update(channel=usa, data={"country": "BR"})
    # then
    assert _pairs() == [(a.pk, b.pk)]
    _assert_fresh()


def test_a_dismissed_pair_is_kept_in_the_table_and_hidden_from_the_list(api_client, brazil, make):
    a = make(brazil, "a@example.com", phone=PHONE)
    b = make(brazil, "b@example.com", phone=PHONE)
    api_client.post(f"{LIST}dismissals/", {"customers": [a.pk, b.pk]})
    assert (_pairs(), api_client.get(LIST).json()["count"]) == ([(a.pk, b.pk)], 0)


def test_a_later_page_takes_the_same_queries(api_client, brazil, make, django_assert_num_queries):
    for n in range(5):
        make(brazil, f"a{n}@example.com", identification=f"3333333333{n}")
        make(brazil, f"b{n}@example.com", identification=f"3333333333{n}")
    api_client.get(LIST)  # the user's permissions, cached on it from now on
    # the user's channels, the page with its count, the page's customers
    with django_assert_num_queries(3):
        page = api_client.get(LIST, {"per_page": 2, "page": 3}).json()
    assert (page["count"], len(page["results"])) == (5, 1)


def test_the_refresh_command_rebuilds_the_table(brazil, make):
    # given: pairs lost (a load past the writer), and a key not computed
    a = make(brazil, "a@example.com", phone=PHONE)
    b = make(brazil, "b@example.com", phone=PHONE)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM customers_candidatepair")
        cursor.execute("UPDATE customers_customer SET phone_key = ''")
    out = io.StringIO()
    # when / then
    call_command("duplicates_refresh", "--channel", "br", stdout=out)
    assert (_pairs(), out.getvalue()) == ([], "Candidate pairs of channel br: 0.\n")
    call_command("duplicates_refresh", "--keys", stdout=out)
    assert _pairs() == [(a.pk, b.pk)]
    with pytest.raises(CommandError, match=UNKNOWN_CHANNEL.format(code="xx")):
        call_command("duplicates_refresh", "--channel", "xx", stdout=out)


def test_seed_demo_fast_fills_the_pairs(brazil):
    from customers.demo_sql import demo_seed_fast

    demo_seed_fast(customers=200, orders_per_customer=0)
    # the demo's phones come from small pools: some pairs, no placeholder yet
    assert len(_pairs()) > 0
    _assert_fresh()


def _step(rng: random.Random, channel, make, user, merges: list) -> None:
    """One random write through the services, on a few shared keys."""
    customers = list(Customer.objects.filter(merged_into=None).order_by("pk"))
    phones, ids = ["11 3333-0001", "11 3333-0002", ""], ["1234567", "7654321", ""]
    action = rng.choice(["create", "create", "update", "address", "merge", "undo", "delete"])
    if action == "create" or len(customers) < 3:
        make(
            channel,
            f"c{rng.randrange(10**9)}@example.com",
            phone=rng.choice(phones),
            identification=rng.choice(ids),
            first_name=rng.choice(["Ana", "Ána"]),
            last_name="Silva",
        )
    elif action == "update":
        data = {"phone": rng.choice(phones), "identification": rng.choice(ids)}
        customer_update(customer=rng.choice(customers), data=data, user=user, partial=True)
    elif action == "address":
        number = rng.choice(["1", "2"])
        address_create(customer=rng.choice(customers), data={**ADDRESS, "number": number})
    elif action == "merge":
        kept, merged = rng.sample(customers, 2)
        merges.append(customer_merge(keep=kept.pk, merge=[merged.pk], user=user).merge)
    elif action == "undo" and merges:
        merge_undo(merge=merges.pop(), user=user)
    elif action == "delete":
        # One a merge keeps (or an undo would give back) stays: the write is refused whole.
        with contextlib.suppress(ProtectedError):
            customer_delete(customer=rng.choice(customers))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_table_equals_a_recompute_after_any_sequence_of_writes(brazil, make, seed):
    rng, user, merges = random.Random(seed), merger_create(), []
    for _ in range(40):
        _step(rng, brazil, make, user, merges)
        _assert_fresh()
    assert _pairs()  # the keys are few: some pairs stand at the end


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_table_equals_a_recompute_after_any_sequence_of_bulk_upserts(api_client, brazil, seed):
    """The batch writer's path (more rows than it updates inline): customers take and leave
    shared and lone keys, so groups grow, shrink to one member and empty in one batch."""
    rng = random.Random(seed)
    emails = [f"b{n}@example.com" for n in range(40)]
    ids = [f"{n}1111111" for n in range(1, 6)]
    phones = [f"11 3333-000{n}" for n in range(1, 5)]
    for _ in range(8):
        rows = [
            {
                "channel": "br",
                "email": email,
                "identification": rng.choice([*ids, f"9{rng.randrange(10**7)}"]),
                "phone": rng.choice([*phones, ""]),
            }
            for email in rng.sample(emails, 30)
        ]
        assert api_client.post(f"{CUSTOMERS}upsert/", rows, format="json").status_code == 200
        _assert_fresh()
    assert _pairs()

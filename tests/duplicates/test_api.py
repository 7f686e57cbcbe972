import pytest
from django.contrib.auth.models import Permission

from customers.services import channel_create
from duplicates.models import DuplicateDismissal
from duplicates.selectors import GROUP_MAX
from tests.conftest import api_client_for, patron_user_create

pytestmark = pytest.mark.django_db

LIST = "/api/v1/duplicates/"
DISMISSALS = "/api/v1/duplicates/dismissals/"
ADDRESS = {"address": "Rua A", "number": "12", "zipcode": "01310-100"}


def _of(customer):
    return f"/api/v1/customers/{customer.pk}/duplicates/"


def _pairs(response) -> list[tuple[list[int], int, list[str]]]:
    assert response.status_code == 200, response.content
    return [
        ([c["id"] for c in pair["customers"]], pair["score"], pair["reasons"])
        for pair in response.json()["results"]
    ]


@pytest.mark.parametrize(
    ("first", "second", "reasons"),
    [
        pytest.param(
            {"email": "x@bücher.example"},
            {"email": "x@xn--bcher-kva.example"},
            ["same_email"],
            id="email-idn",
        ),
        pytest.param(
            {"phone": "(11) 98765-4321"},
            {"phone": "+55 11 98765-4321"},
            ["same_phone"],
            id="phone",
        ),
        pytest.param(
            {"identification": "123.456.789-09"},
            {"identification": "12345678909"},
            ["same_identification"],
            id="identification",
        ),
        pytest.param(
            {"first_name": "José", "last_name": "da Silva", "addresses": [ADDRESS]},
            {"first_name": "Jose", "last_name": "da Silva", "addresses": [ADDRESS]},
            ["similar_name_same_address"],
            id="name-address",
        ),
    ],
)
def test_a_candidate_for_each_reason(api_client, brazil, make, first, second, reasons):
    # given
    a = make(brazil, first.pop("email", "a@example.com"), **first)
    b = make(brazil, second.pop("email", "b@example.com"), **second)
    # when
    pairs = _pairs(api_client.get(LIST))
    # then
    assert [ids for ids, _, found in pairs if found == reasons] == [[a.pk, b.pk]]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param({"phone": "(11) 98765-4321"}, {"phone": "(11) 98765-4322"}, id="phone"),
        pytest.param(
            {"identification": "123.456.789-09"}, {"identification": "123.456.789-08"}, id="id"
        ),
        pytest.param(
            {"first_name": "Ana", "last_name": "Silva", "addresses": [ADDRESS]},
            {"first_name": "Bruno", "last_name": "Costa", "addresses": [ADDRESS]},
            id="other-name-same-address",
        ),
        pytest.param(
            {"first_name": "Ana", "last_name": "Silva", "addresses": [ADDRESS]},
            {"first_name": "Ana", "last_name": "Silva", "addresses": [{**ADDRESS, "number": "13"}]},
            id="same-name-next-door",
        ),
    ],
)
def test_no_candidate_for_a_near_miss(api_client, brazil, make, first, second):
    make(brazil, "a@example.com", **first)
    make(brazil, "b@example.com", **second)
    assert _pairs(api_client.get(LIST)) == []


def test_pairs_come_best_first(api_client, brazil, make):
    # given: one pair sharing a phone, one sharing phone and identification
    a = make(brazil, "a@example.com", phone="11987654321")
    b = make(brazil, "b@example.com", phone="(11) 98765-4321")
    c = make(brazil, "c@example.com", phone="11912345678", identification="98765432100")
    d = make(brazil, "d@example.com", phone="11912345678", identification="987.654.321-00")
    # then
    assert _pairs(api_client.get(LIST)) == [
        ([c.pk, d.pk], 50, ["same_identification", "same_phone"]),
        ([a.pk, b.pk], 20, ["same_phone"]),
    ]
    assert _pairs(api_client.get(LIST, {"reason": "same_identification"})) == [
        ([c.pk, d.pk], 50, ["same_identification", "same_phone"])
    ]
    assert _pairs(api_client.get(_of(a))) == [([a.pk, b.pk], 20, ["same_phone"])]


def test_a_placeholder_key_shared_by_many_makes_no_pairs(api_client, brazil, make):
    for n in range(GROUP_MAX + 1):
        make(brazil, f"c{n}@example.com", phone="11 3333-3333")
    assert _pairs(api_client.get(LIST)) == []


def test_pages_are_counted(api_client, brazil, make):
    for n in range(3):
        make(brazil, f"a{n}@example.com", identification=f"1111111111{n}")
        make(brazil, f"b{n}@example.com", identification=f"1111111111{n}")
    first = api_client.get(LIST, {"per_page": 2})
    last = api_client.get(LIST, {"per_page": 2, "page": 2})
    assert (first.json()["count"], len(first.json()["results"])) == (3, 2)
    assert first.json()["next"] is not None
    assert (len(last.json()["results"]), last.json()["next"]) == (1, None)
    assert api_client.get(LIST, {"per_page": 2, "page": 3}).status_code == 404


def test_a_dismissed_pair_stays_dismissed_until_restored(api_client, api_user, brazil, make):
    # given
    a = make(brazil, "a@example.com", phone="11987654321")
    b = make(brazil, "b@example.com", phone="11987654321")
    # when
    created = api_client.post(DISMISSALS, {"customers": [b.pk, a.pk]})
    again = api_client.post(DISMISSALS, {"customers": [a.pk, b.pk]})
    # then
    assert created.status_code == 201
    assert created.json()["customers"] == [a.pk, b.pk]
    assert created.json()["dismissed_by"] == api_user.username
    assert (again.status_code, again.json()["id"]) == (200, created.json()["id"])
    assert _pairs(api_client.get(LIST)) == []
    assert _pairs(api_client.get(_of(a))) == []
    # when restored
    assert api_client.delete(f"{DISMISSALS}{created.json()['id']}/").status_code == 204
    assert _pairs(api_client.get(LIST)) == [([a.pk, b.pk], 20, ["same_phone"])]
    assert not DuplicateDismissal.objects.exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param({"customers": [1]}, "Ensure this field has at least 2 elements.", id="one"),
        pytest.param({"customers": ["x", 1]}, "A valid integer is required.", id="not-int"),
        pytest.param({"customers": [999998, 999999]}, "Unknown customer id(s)", id="unknown"),
        pytest.param({"customer": [1, 2]}, "customer", id="unknown-name"),
    ],
)
def test_a_bad_dismissal_is_400_naming_the_field(api_client, body, message):
    response = api_client.post(DISMISSALS, body)
    assert response.status_code == 400
    assert message in str(response.json())
    assert not DuplicateDismissal.objects.exists()


def test_the_same_customer_twice_or_two_channels_cannot_be_dismissed(api_client, brazil, usa, make):
    a = make(brazil, "a@example.com")
    b = make(usa, "b@example.com")
    same = api_client.post(DISMISSALS, {"customers": [a.pk, a.pk]})
    apart = api_client.post(DISMISSALS, {"customers": [a.pk, b.pk]})
    assert same.json() == {"customers": ["Name two different customers."]}
    assert apart.json() == {"customers": ["The two customers belong to different channels."]}


def test_an_unknown_reason_is_400(api_client):
    response = api_client.get(LIST, {"reason": "same_shoe"})
    assert response.status_code == 400
    assert "reason" in response.json()


def test_another_channels_pairs_are_invisible(brazil, make):
    # given: a user limited to a second channel
    other = channel_create(data={"code": "ar", "name": "AR", "currency": "ARS"})
    a = make(brazil, "a@example.com", phone="11987654321")
    make(brazil, "b@example.com", phone="11987654321")
    c = make(other, "c@example.com", identification="55555555")
    make(other, "d@example.com", identification="55555555")
    limited = patron_user_create("limited")
    other.api_users.add(limited)
    client = api_client_for(limited)
    # then
    assert [ids[0] for ids, _, _ in _pairs(client.get(LIST))] == [c.pk]
    assert client.get(_of(a)).status_code == 404
    assert client.post(DISMISSALS, {"customers": [a.pk, c.pk]}).status_code == 400
    assert _pairs(client.get(LIST, {"channel": "br"})) == []


def test_reading_needs_view_customer_and_dismissing_change_customer(brazil, make):
    a = make(brazil, "a@example.com", phone="11987654321")
    b = make(brazil, "b@example.com", phone="11987654321")
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("reader")
    client = api_client_for(user)
    assert client.get(LIST).status_code == 403
    user.user_permissions.add(Permission.objects.get(codename="view_customer"))
    client = api_client_for(get_user_model().objects.get(pk=user.pk))
    assert client.get(LIST).status_code == 200
    assert client.post(DISMISSALS, {"customers": [a.pk, b.pk]}).status_code == 403
    user.user_permissions.add(Permission.objects.get(codename="change_customer"))
    client = api_client_for(get_user_model().objects.get(pk=user.pk))
    assert client.post(DISMISSALS, {"customers": [a.pk, b.pk]}).status_code == 201


@pytest.mark.parametrize("pairs", [1, 4])
def test_listing_pairs_takes_a_fixed_number_of_queries(
    api_client, brazil, make, django_assert_num_queries, pairs
):
    customers = []
    for n in range(pairs):
        customers.append(make(brazil, f"a{n}@example.com", identification=f"2222222222{n}"))
        make(brazil, f"b{n}@example.com", identification=f"2222222222{n}")
    # the user's permissions (2) and channels (1), the pairs, their customers
    with django_assert_num_queries(5):
        assert len(_pairs(api_client.get(LIST))) == pairs
    # the user's permissions are cached on it by now; the customer itself, its channels
    # for the customer and for the pairs, the pairs, their customers
    with django_assert_num_queries(5):
        assert len(_pairs(api_client.get(_of(customers[0])))) == 1


def test_a_merged_customer_is_no_candidate(api_client, brazil, make):
    # given: two customers with the same phone, merged
    from merges.services import customer_merge
    from tests.merges.conftest import merger_create

    kept = make(brazil, "kept@example.com", phone="(11) 98765-4321")
    other = make(brazil, "other@example.com", phone="+55 11 98765-4321")
    assert [ids for ids, _, _ in _pairs(api_client.get(LIST))] == [[kept.pk, other.pk]]
    customer_merge(keep=kept.pk, merge=[other.pk], user=merger_create())
    # when / then: the pair is gone, from the list and from the kept customer's candidates
    assert _pairs(api_client.get(LIST)) == []
    assert _pairs(api_client.get(_of(kept))) == []

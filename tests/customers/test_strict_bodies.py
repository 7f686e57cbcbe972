"""Customer and address bodies are strict: an unknown name is a 400 naming it (with the closest
known name) and nothing is written; read-only names of the representation are ignored, so a
body written for Nuvemshop or read from Patron can be sent as it is."""

import json
from pathlib import Path

import pytest

from customers.imports.rows import NOT_A_LIST
from customers.models import Address, Customer
from tests.customers.factories import AddressFactory, CustomerFactory
from tests.imports.helpers import rejected_rows_errors, run

pytestmark = pytest.mark.django_db

BODIES = Path(__file__).parent / "bodies"
URL = "/api/v1/customers/"
UPSERT_URL = "/api/v1/customers/upsert/"
FIRST_NAME_MEANT = "Unknown field 'firstName'. Did you mean 'first_name'?"
IS_DEFAULT_MEANT = "Unknown field 'isDefault'. Did you mean 'is_default'?"

# Nuvemshop's "PUT /customers/#{id}" example (seeds/002), verbatim.
NUVEMSHOP_PUT = json.loads((BODIES / "nuvemshop_customer_put.json").read_text())


def _snapshot() -> tuple:
    return (
        list(Customer.objects.order_by("pk").values()),
        list(Address.objects.order_by("pk").values()),
    )


def test_nuvemshop_put_example_changes_what_it_says(api_client, web):
    # given: the customer and the address (id 1234) the example edits
    customer = CustomerFactory(channel=web, note="old note", phone="000")
    AddressFactory(pk=1234, customer=customer, is_default=False, floor="3", locality="Old")

    # when
    response = api_client.put(
        f"{URL}{customer.pk}/", {**NUVEMSHOP_PUT, "channel": "web"}, format="json"
    )

    # then
    assert response.status_code == 200, response.data
    customer.refresh_from_db()
    assert customer.email == "john.doe+modified@example.com"
    assert customer.identification == "28776255670"
    assert (customer.first_name, customer.last_name) == ("John", "Doe")
    assert customer.note == ""
    assert customer.phone == "911"
    assert customer.extra_field == {"number_of_children": "2", "gender": "male"}
    [address] = customer.addresses.all()
    assert address.pk == 1234
    assert {
        name: getattr(address, name)
        for name in ("address", "city", "country", "floor", "locality", "number", "phone")
    } == {
        "address": "Evergreen Terrace",
        "city": "Springfield",
        "country": "US",
        "floor": "",
        "locality": "",
        "number": "742",
        "phone": "555-123-0413",
    }
    assert (address.province, address.zipcode) == ("Oregon", "97475")
    # `default` is Nuvemshop's is_default; the billing_* fields name this same address.
    assert (address.is_default, address.is_billing) == (True, True)
    # Read-only fields of the example are ignored.
    assert customer.pk != 101
    assert (customer.orders_count, customer.total_spent, customer.last_order_id) == (0, 0, None)
    assert response.data["total_spent_currency"] == ""


def test_nuvemshop_billing_fields_add_a_billing_address(api_client, web):
    customer = CustomerFactory(channel=web)
    body = {"channel": "web", "email": customer.email, "billing_city": "Lima"}
    body |= {"billing_country": "pe", "billing_address": "Jr. Ucayali", "billing_floor": None}

    response = api_client.put(f"{URL}{customer.pk}/", body, format="json")

    assert response.status_code == 200, response.data
    billing = response.data["billing_address"]
    assert (billing["city"], billing["country"]) == ("Lima", "PE")
    assert billing["address"] == "Jr. Ucayali"


def test_post_with_first_name_in_camel_case_is_400_naming_first_name(api_client, web):
    before = _snapshot()

    response = api_client.post(
        URL, {"channel": "web", "email": "ann@example.com", "firstName": "Ann"}, format="json"
    )

    assert response.status_code == 400
    assert response.data == {"firstName": [FIRST_NAME_MEANT]}
    assert _snapshot() == before


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        pytest.param(
            {"addresses": [{"city": "Rio"}, {"city": "Lima", "isDefault": True}]},
            {"addresses": [{}, {"isDefault": [IS_DEFAULT_MEANT]}]},
            id="in-an-address-of-the-list",
        ),
        pytest.param(
            {"address": {"city": "Rio", "isDefault": True}},
            {"address": {"isDefault": [IS_DEFAULT_MEANT]}},
            id="in-the-single-address",
        ),
        pytest.param(
            {"firstName": "Ann", "b_fname": "Ann"},
            {
                "firstName": [FIRST_NAME_MEANT],
                "b_fname": ["Unknown field 'b_fname'. Did you mean 'name'?"],
            },
            id="every-unknown-name-at-once",
        ),
        pytest.param(
            {"extra": {}, "extra_field": {}},
            {"extra": ["'extra' is another name of 'extra_field': send only one of them."]},
            id="nuvemshop-name-and-patron-name",
        ),
    ],
)
@pytest.mark.parametrize("method", ["post", "put", "patch"])
def test_unknown_name_is_400_naming_it_and_writes_nothing(api_client, web, method, body, errors):
    # given
    customer = CustomerFactory(channel=web, email="ann@example.com")
    url = URL if method == "post" else f"{URL}{customer.pk}/"
    sent = {"channel": "web", "email": "new@example.com", **body}
    before = _snapshot()

    # when
    response = getattr(api_client, method)(url, sent, format="json")

    # then
    assert response.status_code == 400
    assert response.data == errors
    assert _snapshot() == before


def test_upsert_list_names_the_unknown_field_of_each_item(api_client, web):
    items = [{"channel": "web", "email": f"c{n}@example.com"} for n in range(5)]
    items[3]["firstName"] = "Ann"
    items[4]["addresses"] = [{"isDefault": True}]

    response = api_client.post(UPSERT_URL, items, format="json")

    assert response.status_code == 400
    assert response.data == {
        "items": {
            "3": {"firstName": [FIRST_NAME_MEANT]},
            "4": {"addresses": [{"isDefault": [IS_DEFAULT_MEANT]}]},
        }
    }
    assert not Customer.objects.exists()


@pytest.mark.parametrize("method", ["post", "put", "patch"])
def test_address_endpoint_refuses_unknown_names(api_client, web, method):
    customer = CustomerFactory(channel=web)
    address = AddressFactory(customer=customer)
    url = f"{URL}{customer.pk}/addresses/"
    url = url if method == "post" else f"{url}{address.pk}/"
    before = _snapshot()

    response = getattr(api_client, method)(url, {"city": "Rio", "isDefault": True}, format="json")

    assert response.status_code == 400
    assert response.data == {"isDefault": [IS_DEFAULT_MEANT]}
    assert _snapshot() == before


def test_address_endpoint_takes_its_own_answer_with_nulls(api_client, web):
    # given
    customer = CustomerFactory(channel=web)
    address = AddressFactory(customer=customer, floor="3", is_default=True)
    url = f"{URL}{customer.pk}/addresses/{address.pk}/"
    body = api_client.get(url).data

    # when: sent back with nulls, read-only names and Nuvemshop's `default`
    body.pop("is_default")
    body |= {"floor": None, "id": 999, "default": False, "version": "1"}
    response = api_client.put(url, body, format="json")

    # then
    assert response.status_code == 200, response.data
    address.refresh_from_db()
    assert (address.floor, address.is_default) == ("", False)
    assert Address.objects.count() == 1


def test_addresses_must_be_a_list_on_put(api_client, web):
    customer = CustomerFactory(channel=web)
    body = {"channel": "web", "email": customer.email, "addresses": {"city": "Rio"}}

    response = api_client.put(f"{URL}{customer.pk}/", body, format="json")

    assert response.status_code == 400
    assert response.data == {"addresses": [NOT_A_LIST.format(type="dict")]}


def test_json_import_rejects_a_row_with_an_unknown_field_on_its_line(tmp_path, web):
    # given: an array whose second object (line 3) sends firstName
    path = tmp_path / "customers.json"
    path.write_text(
        "[\n"
        '{"channel": "web", "email": "a@example.com", "id": 7, "orders_count": 3},\n'
        '{"channel": "web", "email": "b@example.com", "firstName": "Bo"}\n'
        "]\n",
        encoding="utf-8",
    )
    report = tmp_path / "errors.csv"

    # when
    code, _, _ = run("import_customers", str(path), rejected_rows=str(report))

    # then: the good row is kept, with its read-only names ignored
    assert code == 1
    assert rejected_rows_errors(report, "ndjson") == [(3, "firstName", FIRST_NAME_MEANT)]
    assert list(Customer.objects.values_list("email", "orders_count")) == [("a@example.com", 0)]

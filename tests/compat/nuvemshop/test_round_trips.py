"""Written in the dialect, read natively, and the reverse: nothing is lost on the way."""

import pytest
from django.core import mail

from tests.compat.nuvemshop.conftest import BASE, CHANNEL
from tests.groups.factories import UserGroupFactory

pytestmark = pytest.mark.django_db

NATIVE = "/api/v1/customers/"
NUVEMSHOP_CUSTOMER = {
    "name": "Maria da Silva",
    "email": "maria@example.com",
    "phone": "11 99999-0000",
    "identification": "123.456.789-09",
    "note": "Prefers deliveries after 6pm",
    "extra": {"number_of_children": "2", "gender": "female", "vip": True},
    "addresses": [
        {
            "address": "Rua Augusta",
            "number": "500",
            "floor": "3",
            "locality": "Consolação",
            "city": "São Paulo",
            "province": "São Paulo",
            "zipcode": "01305-000",
            "country": "BR",
            "phone": "11 3333-4444",
            "default": False,
        },
        {
            "address": "Avenida Paulista",
            "number": "1000",
            "floor": None,
            "locality": "Bela Vista",
            "city": "São Paulo",
            "province": "São Paulo",
            "zipcode": "01310-100",
            "country": "BR",
            "phone": "11 5555-6666",
            "default": True,
        },
    ],
    "billing_address": "Rua Oscar Freire",
    "billing_number": "12",
    "billing_floor": "1",
    "billing_locality": "Jardins",
    "billing_city": "São Paulo",
    "billing_province": "São Paulo",
    "billing_zipcode": "01426-000",
    "billing_country": "BR",
    "billing_phone": "11 7777-8888",
    "password": "a-long-secret-password",
    "send_email_invite": False,
}
ADDRESS_PARTS = (
    "address",
    "number",
    "floor",
    "locality",
    "city",
    "province",
    "zipcode",
    "country",
    "phone",
)


def _parts(address: dict) -> dict:
    return {part: address[part] or "" for part in ADDRESS_PARTS}


def test_nuvemshop_write_native_read(api_client, store):
    # when
    created = api_client.post(f"{BASE}/customers", NUVEMSHOP_CUSTOMER, format="json")

    # then
    assert created.status_code == 201, created.content
    native = api_client.get(f"{NATIVE}{created.json()['id']}/").json()
    assert (native["channel"], native["first_name"], native["last_name"]) == (
        CHANNEL,
        "Maria",
        "da Silva",
    )
    for name in ("email", "phone", "identification", "note"):
        assert native[name] == NUVEMSHOP_CUSTOMER[name], name
    assert native["extra_field"] == NUVEMSHOP_CUSTOMER["extra"]
    assert native["has_password"] is True
    sent = [_parts(address) for address in NUVEMSHOP_CUSTOMER["addresses"]]
    stored = {tuple(_parts(a).values()): a for a in native["addresses"]}
    for address, values in zip(NUVEMSHOP_CUSTOMER["addresses"], sent, strict=True):
        assert stored[tuple(values.values())]["is_default"] is address["default"]
    billing = {part: NUVEMSHOP_CUSTOMER[f"billing_{part}"] for part in ADDRESS_PARTS}
    billing["address"] = NUVEMSHOP_CUSTOMER["billing_address"]
    assert _parts(native["billing_address"]) == billing
    assert native["billing_address"]["is_billing"] is True
    assert len(native["addresses"]) == 3
    assert mail.outbox == []  # send_email_invite: false


def test_nuvemshop_write_nuvemshop_read(api_client, store):
    created = api_client.post(f"{BASE}/customers", NUVEMSHOP_CUSTOMER, format="json").json()

    read = api_client.get(f"{BASE}/customers/{created['id']}").json()

    assert read == created
    for name, value in NUVEMSHOP_CUSTOMER.items():
        if name not in ("addresses", "password", "send_email_invite"):
            assert read[name] == value, name
    assert [a["address"] for a in read["addresses"]][:1] == ["Avenida Paulista"]  # default
    assert read["default_address"]["address"] == "Avenida Paulista"
    assert read["active"] is True


@pytest.fixture
def native_customer(api_client, store):
    """A customer written natively, with fields Nuvemshop does not show too."""
    UserGroupFactory(code="vip")
    body = {
        "channel": CHANNEL,
        "email": "joao@example.com",
        "first_name": "João",
        "last_name": "Souza",
        "phone": "21 2222-3333",
        "identification": "987.654.321-00",
        "note": "Wholesale",
        "username": "joao",
        "gender": "male",
        "attributes": {"tier": "gold"},
        "extra_field": {"source": "ads"},
        "groups": ["vip"],
        "addresses": [
            {
                "first_name": "João",
                "address": "Rua do Ouvidor",
                "number": "50",
                "address2": "Sala 5",
                "city": "Rio de Janeiro",
                "country": "BR",
                "is_default": True,
            },
            {"address": "Rua da Assembleia", "number": "10", "country": "BR", "is_billing": True},
        ],
    }
    response = api_client.post(NATIVE, body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_native_write_nuvemshop_read(api_client, native_customer):
    read = api_client.get(f"{BASE}/customers/{native_customer['id']}").json()

    assert read["name"] == "João Souza"
    for name in ("id", "email", "phone", "identification", "note", "last_order_id"):
        assert read[name] == native_customer[name], name
    assert read["extra"] == native_customer["extra_field"]
    assert read["total_spent"] == native_customer["total_spent"]
    default, billing = native_customer["default_address"], native_customer["billing_address"]
    assert read["default_address"]["id"] == default["id"]
    assert _parts(read["default_address"]) == _parts(default)
    assert {part: read[f"billing_{part}"] or "" for part in ADDRESS_PARTS} == _parts(billing)
    assert [(a["id"], a["default"]) for a in read["addresses"]] == [
        (default["id"], True),
        (billing["id"], False),
    ]
    assert read["active"] is False  # no password yet


def test_nuvemshop_read_sent_back_changes_nothing(api_client, native_customer):
    """GET → PUT of the same body: the fields Nuvemshop does not show (username, gender,
    attributes, groups, an address's address2 and names) are kept, and nothing else moves."""
    url = f"{BASE}/customers/{native_customer['id']}"
    before = api_client.get(f"{NATIVE}{native_customer['id']}/").json()

    response = api_client.put(url, api_client.get(url).json(), format="json")

    assert response.status_code == 200, response.content
    after = api_client.get(f"{NATIVE}{native_customer['id']}/").json()
    assert after == before


def test_nuvemshop_change_native_read(api_client, native_customer):
    url = f"{BASE}/customers/{native_customer['id']}"

    response = api_client.put(
        url, {"name": "João Pedro Souza", "extra": {"source": "store"}}, format="json"
    )

    assert response.status_code == 200, response.content
    after = api_client.get(f"{NATIVE}{native_customer['id']}/").json()
    assert (after["first_name"], after["last_name"]) == ("João", "Pedro Souza")
    assert after["extra_field"] == {"source": "store"}
    unchanged = ("username", "gender", "attributes", "groups", "addresses", "phone", "email")
    assert {name: after[name] for name in unchanged} == {
        name: native_customer[name] for name in unchanged
    }

import contextlib
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from customers.match_keys import (
    address_key,
    channel_region,
    customer_match_keys_backfill,
    customer_match_keys_fill,
    email_key,
    identification_key,
    name_key,
    phone_key,
)
from customers.models import CUSTOMER_MATCH_KEY_FIELDS as KEY_FIELDS
from customers.models import Customer
from customers.services import address_create, channel_update, customer_update


@pytest.mark.parametrize(
    ("left", "right"),
    [
        pytest.param("x@bücher.example", "x@xn--bcher-kva.example", id="idn-punycode"),
        pytest.param("  Ana@Example.COM ", "ana@example.com", id="trim-case"),
    ],
)
def test_email_keys_equal(left, right):
    assert email_key(left) == email_key(right)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        pytest.param("ana.silva@gmail.com", "anasilva@gmail.com", id="dots-kept"),
        pytest.param("ana+shop@example.com", "ana@example.com", id="plus-tag-kept"),
    ],
)
def test_email_keys_differ(left, right):
    assert email_key(left) != email_key(right)


def _idna_key(email: str) -> str:
    """The e-mail key spelled out: trimmed, lower case, the domain through Python's IDNA codec
    (a domain it refuses is kept as written)."""
    local, at, domain = email.strip().lower().rpartition("@")
    if not at:
        return domain
    with contextlib.suppress(UnicodeError):
        domain = domain.encode("idna").decode("ascii")
    return f"{local}@{domain}"


@pytest.mark.parametrize(
    "email",
    [
        " Ana.Silva+Shop@Example.COM ",
        "ana@mail.example.",
        "ana@example..com",
        f"ana@{'a' * 64}.example",
        "no-at-sign",
        "two@at@example.com",
        "ANA@BÜCHER.example",
        "ana@bücher..example",
        "",
    ],
)
def test_email_key_is_the_idna_codecs(email):
    """An ASCII e-mail skips the codec (which gives it back or refuses it): same key."""
    assert email_key(email) == _idna_key(email)


@pytest.mark.parametrize(
    "phone",
    ["(11) 98765-4321", "+55 11 98765-4321", "11987654321", "+55 (11) 9 8765 4321"],
)
def test_brazilian_phone_formats_share_one_e164_key(phone):
    assert phone_key(phone, "BR") == "+5511987654321"


@pytest.mark.parametrize(
    ("phone", "region", "expected"),
    [
        pytest.param("(11) 98765-4322", "BR", "+5511987654322", id="one-digit-different"),
        pytest.param("11987654321", None, "", id="no-region-no-plus"),
        pytest.param("not a phone", "BR", "", id="unparseable"),
        pytest.param("123", "BR", "", id="impossible"),
        pytest.param("", "BR", "", id="empty"),
    ],
)
def test_phone_key_edges(phone, region, expected):
    assert phone_key(phone, region) == expected


def test_one_phone_is_keyed_per_region_in_any_order():
    """The same digits are a Brazilian number for a Brazilian channel and none for a US one,
    whichever was keyed first (keys are kept per phone and region)."""
    assert phone_key("11 98765 4329", "BR") == "+5511987654329"
    assert phone_key("11 98765 4329", "US") == ""
    assert phone_key("11 98765 4329", "BR") == "+5511987654329"


@pytest.mark.django_db
def test_an_import_keys_one_phone_per_channel_region(brazil, usa, tmp_path):
    """One phone in rows of two channels: each customer's key follows its own channel, and
    the stored phone is the one sent."""
    path = tmp_path / "two_channels.csv"
    path.write_text(
        "channel,email,phone\n"
        "br,ana@example.com,11 98765 4328\n"
        "us,ana@example.com,11 98765 4328\n"
        "br,bia@example.com,11 98765 4328\n",
        encoding="utf-8",
    )
    call_command("import_customers", str(path), stdout=StringIO())
    stored = Customer.objects.order_by("channel__code", "email").values_list(
        "channel__code", "email", "phone", "phone_key"
    )
    assert list(stored) == [
        ("br", "ana@example.com", "11 98765 4328", "+5511987654328"),
        ("br", "bia@example.com", "11 98765 4328", "+5511987654328"),
        ("us", "ana@example.com", "11 98765 4328", ""),
    ]


def test_channel_region_from_country_then_currency():
    assert channel_region(country="PT", currency="EUR") == "PT"
    assert channel_region(country="", currency="BRL") == "BR"
    assert channel_region(country="", currency="EUR") is None


@pytest.mark.parametrize(
    ("identification", "expected"),
    [("123.456.789-09", "12345678909"), ("1234", ""), ("AB-12", ""), ("", "")],
)
def test_identification_key_is_its_digits(identification, expected):
    assert identification_key(identification) == expected


def test_name_and_address_keys_fold():
    assert name_key("José  Álvaro", "da Silva-Souza") == "jose alvaro da silva souza"
    assert name_key("", "Silva") == ""
    assert address_key("01310-100", "No. 12") == "01310100|no12"
    assert address_key("", "12") == ""


def _keys(customer) -> dict:
    return Customer.objects.filter(pk=customer.pk).values(
        "email_key", "phone_key", "identification_key", "name_key", "address_key"
    )[0]


@pytest.mark.django_db
def test_the_write_pipeline_stores_the_keys(brazil, make):
    # when
    customer = make(
        brazil,
        "ana@bücher.example",
        first_name="Ána",
        last_name="Silva",
        phone="(11) 98765-4321",
        identification="123.456.789-09",
        addresses=[{"address": "Rua A", "number": "12", "zipcode": "01310-100"}],
    )
    # then
    assert _keys(customer) == {
        "email_key": "ana@xn--bcher-kva.example",
        "phone_key": "+5511987654321",
        "identification_key": "12345678909",
        "name_key": "ana silva",
        "address_key": "01310100|12",
    }


@pytest.mark.django_db
def test_updates_and_address_writes_refresh_the_keys(brazil, make, superuser):
    customer = make(brazil, "ana@example.com", first_name="Ana", last_name="Silva")
    customer_update(
        customer=customer, data={"phone": "11 98765 4321"}, user=superuser, partial=True
    )
    address_create(customer=customer, data={"zipcode": "01310-100", "number": "7"})
    assert _keys(customer)["phone_key"] == "+5511987654321"
    assert _keys(customer)["address_key"] == "01310100|7"


@pytest.mark.django_db
def test_a_channel_country_change_rekeys_its_phones(usa, make):
    customer = make(usa, "ana@example.com", phone="11 98765 4321")
    assert _keys(customer)["phone_key"] == ""  # not a possible number in the US
    channel_update(channel=usa, data={"country": "BR"})
    assert _keys(customer)["phone_key"] == "+5511987654321"


@pytest.mark.django_db
def test_the_backfill_fills_every_customer_in_batches(brazil, make):
    # given: keys lost (as before migration 0011)
    customers = [make(brazil, f"c{n}@example.com", phone=f"11 98765 432{n}") for n in range(5)]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE customers_customer SET email_key = '', phone_key = ''")
    # when
    customer_match_keys_backfill(batch=2)
    # then
    assert [_keys(c)["phone_key"] for c in customers] == [f"+55119876543{20 + n}" for n in range(5)]
    assert _keys(customers[0])["email_key"] == "c0@example.com"


@pytest.mark.django_db
def test_seed_demo_fast_fills_the_keys():
    from customers.demo_sql import demo_seed_fast

    demo_seed_fast(customers=50, orders_per_customer=0)
    assert not Customer.objects.filter(email_key="").exists()
    assert Customer.objects.exclude(identification_key="").count() == 50


def _stored_keys() -> list[tuple]:
    return list(Customer.objects.order_by("pk").values_list("pk", *KEY_FIELDS))


@pytest.mark.django_db
def test_the_set_based_fill_gives_the_keys_the_rules_give(brazil, usa, make):
    # given: demo customers and some whose text SQL would read otherwise than Python
    from customers.demo_sql import demo_seed_fast

    demo_seed_fast(customers=300, orders_per_customer=0)
    address = {"address": "Rua A", "number": " 12-A ", "zipcode": "01310-100"}
    make(
        brazil,
        " X.Y@Bücher.Example",
        first_name="José",
        last_name="da Silva-Souza",
        phone="(11) 98765-4321",
        identification="١٢٣٤٥ 678",
        addresses=[address],
    )
    make(
        usa,
        "A@EXAMPLE.COM",
        first_name="Ñandú",
        last_name="",
        phone="+1 212 555 0100",
        identification="12-34",
        addresses=[{**address, "zipcode": "Ａb-1"}],
    )
    make(
        usa,
        "b@example.com",
        first_name="Ann",
        last_name="O'Neil",
        phone="212 555 0100",
        identification=" 123.456 ",
        addresses=[{**address, "number": "Nº 7"}],
    )
    make(
        brazil,
        "Upper.Case@Example.COM",
        first_name="ANA",
        last_name="Souza 2nd",
        identification="123.456.789-09",
        addresses=[address],
    )
    customer_match_keys_backfill()
    expected = _stored_keys()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE customers_customer SET " + ", ".join(f"{k} = ''" for k in KEY_FIELDS)
        )
    # when
    customer_match_keys_fill()
    # then
    assert _stored_keys() == expected
    assert all(any(row[1:]) for row in expected)

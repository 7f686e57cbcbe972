"""Search forgives case and accents on both databases: `q`, the name filters and the admin
search find María with "maria", "MARÍA", "María" or "maría", and Ninguém with "NINGUÉM"."""

import pytest
from django.db import connection

from customers.imports import customers_import
from customers.models import Customer
from customers.search import fold
from tests.customers.factories import ChannelFactory, CustomerFactory
from tests.groups.factories import UserCustomerGroupFactory, UserGroupFactory

pytestmark = pytest.mark.django_db

CUSTOMERS = "/api/v1/customers/"
SPELLINGS = ["maria", "MARÍA", "María", "maría", "MARIA"]


@pytest.fixture
def marias():
    """Three customers with "maria" in some field, however written, and three without."""
    channel = ChannelFactory(code="br")
    for local, first, last in [
        ("maria.souza", "María", "Souza"),
        ("ana", "Ana", "Mariá da Silva"),
        ("mariana", "Mariana", "Ninguém"),
        ("mario", "Mário", "Silva"),
        ("marta", "Marta", "Ríos"),
        ("joao", "João", "Nunes"),
    ]:
        CustomerFactory(
            channel=channel, email=f"{local}@example.com", first_name=first, last_name=last
        )


def _locals(response) -> set[str]:
    assert response.status_code == 200, response.data
    return {row["email"].split("@")[0] for row in response.data["results"]}


@pytest.mark.parametrize("word", SPELLINGS)
def test_q_finds_the_same_customers_however_the_word_is_written(api_client, marias, word):
    found = _locals(api_client.get(CUSTOMERS, {"q": word}))

    assert found == {"maria.souza", "ana", "mariana"}


@pytest.mark.parametrize("word", ["NINGUÉM", "ninguem", "Ninguém", "NINGUEM"])
def test_q_folds_letters_outside_ascii_on_both_sides(api_client, marias, word):
    assert _locals(api_client.get(CUSTOMERS, {"q": word})) == {"mariana"}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"first_name": "maria"}, {"maria.souza"}),
        ({"first_name": "MARÍA"}, {"maria.souza"}),
        ({"first_name": "mario"}, {"mario"}),
        ({"first_name__istartswith": "MARI"}, {"maria.souza", "mariana", "mario"}),
        ({"first_name__istartswith": "joã"}, {"joao"}),
        ({"last_name": "rios"}, {"marta"}),
        ({"last_name__istartswith": "MARIA DA"}, {"ana"}),
        ({"q": "maria silva"}, {"ana"}),
        ({"q": "joao nunes"}, {"joao"}),
    ],
)
def test_name_filters_forgive_case_and_accents(api_client, marias, params, expected):
    assert _locals(api_client.get(CUSTOMERS, params)) == expected


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("maria silva", ["ana@example.com"]),
        ("MARÍA", ["mariana@example.com", "ana@example.com", "maria.souza@example.com"]),
        ("ninguem", ["mariana@example.com"]),
        ("jo", ["joao@example.com"]),
        (
            "MÁ",
            [
                "marta@example.com",
                "mario@example.com",
                "mariana@example.com",
                "ana@example.com",
                "maria.souza@example.com",
            ],
        ),
    ],
)
def test_admin_search_forgives_case_and_accents(staff_client, marias, term, expected):
    response = staff_client.get("/admin/customers/customer/", {"q": term})

    assert response.status_code == 200
    # The list is newest first (by id).
    assert [c.email for c in response.context["cl"].result_list] == expected


def test_group_member_and_title_filters_forgive_case_and_accents(api_client, marias):
    group = UserGroupFactory(code="vip", title="Clientes São Paulo")
    for customer in CustomerFactory._meta.model.objects.filter(first_name__startswith="M"):
        UserCustomerGroupFactory(customer=customer, group=group)

    members = api_client.get("/api/v1/groups/vip/members/", {"first_name__istartswith": "MARÍA"})
    groups = api_client.get("/api/v1/groups/", {"title__icontains": "sao paulo"})

    assert _locals(members) == {"maria.souza", "mariana"}
    assert [row["code"] for row in groups.data["results"]] == ["vip"]


def test_like_wildcards_in_a_word_are_plain_characters(api_client, marias):
    CustomerFactory(email="percent@example.com", first_name="100%", last_name="Off_ice")

    assert _locals(api_client.get(CUSTOMERS, {"q": "100%"})) == {"percent"}
    assert _locals(api_client.get(CUSTOMERS, {"q": "f_i"})) == {"percent"}
    assert _locals(api_client.get(CUSTOMERS, {"q": "%"})) == {"percent"}
    assert _locals(api_client.get(CUSTOMERS, {"q": "_"})) == {"percent"}


@pytest.mark.parametrize(
    "text",
    [
        "São João",
        "Ação",
        "Peña",
        "Müller",
        "Ångström",
        "Çelik",
        "José Ñúñez",
        "ÀÉÎÕÜ",
        "Søren Łódź",
        "Æsir Œuvre",
        "Straße",
        "plain 42",
    ],
)
def test_the_databases_fold_like_the_application(text):
    with connection.cursor() as cursor:
        cursor.execute("SELECT patron_fold(%s)", [text])
        assert cursor.fetchone()[0] == fold(text)


def test_q_follows_every_writer_of_the_searched_fields(api_client, marias):
    """PostgreSQL stores the folded document (migration 0019) and writes it itself: a name
    written by the bulk import (COPY for a new customer, UPDATE … FROM for a known one) or by
    a plain UPDATE is found by its new spelling, and no longer by the old one."""
    rows = [
        (1, {"channel": "br", "email": "new@example.com", "first_name": "Zélia"}, {}),
        (2, {"channel": "br", "email": "joao@example.com", "last_name": "Ñandú"}, {}),
    ]
    result = customers_import(rows)
    assert (result.created, result.updated) == (1, 1)
    Customer.objects.filter(email="marta@example.com").update(last_name="Øster")

    assert _locals(api_client.get(CUSTOMERS, {"q": "zelia"})) == {"new"}
    assert _locals(api_client.get(CUSTOMERS, {"q": "nandu"})) == {"joao"}
    assert _locals(api_client.get(CUSTOMERS, {"q": "nunes"})) == set()
    assert _locals(api_client.get(CUSTOMERS, {"q": "oster"})) == {"marta"}
    assert _locals(api_client.get(CUSTOMERS, {"q": "rios"})) == set()

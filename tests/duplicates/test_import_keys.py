"""The bulk import stores each customer's match keys with the row it writes (the COPY of a
new customer, the UPDATE of an existing one): they equal the keys recomputed from the
stored values, whatever the addresses and the fields a row sends."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.imports import customers_import
from customers.match_keys import customer_match_keys_backfill
from customers.models import CUSTOMER_MATCH_KEY_FIELDS, Customer

# More rows than FEW_ROWS, so updates go through the staging table.
COUNT = 30


def _addresses(n: int) -> list[dict]:
    first = {"address": f"Rua {n}", "number": str(n), "zipcode": f"01310-{n:03d}"}
    second = {"address": f"Av {n}", "number": f"{n}A", "zipcode": f"20000-{n:03d}"}
    return [
        [],
        [first],
        [first, {**second, "is_default": True}],
        [{**first, "is_default": False}],
        [first, second],
    ][n % 5]


def _created(n: int) -> dict:
    return {
        "channel": "br",
        "email": f"c{n}@Bücher.example",
        "first_name": f"Ána {n}",
        "last_name": "Silva" if n % 4 else "",
        "phone": f"(11) 98765-{n:04d}" if n % 3 else "not a phone",
        "identification": f"123.456.{n:03d}-09" if n % 2 else "12",
        "addresses": _addresses(n),
    }


def _updated(n: int) -> dict:
    row = {"channel": "br", "email": f"c{n}@Bücher.example"}
    if n % 3 == 0:
        # Only a field the keys are not made of.
        return {**row, "gender": "female"}
    if n % 3 == 1:
        # New phone and names; a first address, or a new default one, for some.
        extra = {"addresses": [{"zipcode": f"9{n:04d}", "number": "1", "is_default": True}]}
        return {
            **row,
            "phone": f"+55 21 99999-{n:04d}",
            "first_name": "Bia",
            "last_name": "Souza",
            **(extra if n % 2 else {}),
        }
    return {**row, "identification": f"987.{n:03d}.111-22", "addresses": [{"zipcode": "123"}]}


def _import(rows: list[dict]):
    return customers_import(
        [(line, row, {}) for line, row in enumerate(rows, start=2)], threaded=False
    )


def _keys() -> dict:
    return {
        email: keys
        for email, *keys in Customer.objects.order_by("pk").values_list(
            "email", *CUSTOMER_MATCH_KEY_FIELDS
        )
    }


@pytest.mark.django_db
def test_imported_keys_equal_the_recomputed_ones(brazil):
    # when
    created = _import([_created(n) for n in range(COUNT)])
    after_create = _keys()
    updated = _import([_updated(n) for n in range(COUNT)])
    after_update = _keys()
    customer_match_keys_backfill()
    # then
    assert (created.created, created.rejected) == (COUNT, 0)
    assert (updated.updated, updated.rejected) == (COUNT, 0)
    assert after_update == _keys()
    assert after_create["c1@bücher.example"] == [
        "c1@xn--bcher-kva.example",
        "+5511987650001",
        "12345600109",
        "ana silva",
        "01310001|1",
    ]
    assert after_create["c2@bücher.example"][4] == "20000002|2a"
    assert after_create["c3@bücher.example"][4] == ""
    assert after_update["c1@bücher.example"] == [
        "c1@xn--bcher-kva.example",
        "+5521999990001",
        "12345600109",
        "bia souza",
        "90001|1",
    ]
    assert after_update["c4@bücher.example"][1:4] == ["+5521999990004", "", "bia souza"]
    assert after_update["c5@bücher.example"][2] == "98700511122"


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite's bulk_create splits by variable count"
)
@pytest.mark.django_db
def test_a_batch_reads_the_same_queries_for_twice_the_rows(brazil, django_assert_num_queries):
    # given: a warmed-up import (column types, temporary tables), then COUNT rows
    _import([_created(n) for n in range(1000, 1000 + COUNT)])
    _import([_updated(n) for n in range(1000, 1000 + COUNT)])
    with CaptureQueriesContext(connection) as created:
        _import([_created(n) for n in range(COUNT)])
    with CaptureQueriesContext(connection) as updated:
        _import([_updated(n) for n in range(COUNT)])

    # when / then: twice as many rows, created then updated
    with django_assert_num_queries(len(created.captured_queries)):
        _import([_created(n) for n in range(2000, 2000 + 2 * COUNT)])
    with django_assert_num_queries(len(updated.captured_queries)):
        _import([_updated(n) for n in range(2000, 2000 + 2 * COUNT)])

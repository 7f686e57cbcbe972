"""Array literals read back by PostgreSQL as the values they were made of."""

import pytest
from django.db import connection

from config.sql import id_array, text_array

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL array literals"),
]


@pytest.mark.parametrize(
    "values",
    [[], [""], ["a"], ['quote " and \\ backslash', "{brace}", "comma, space", "NULL", "ção 李"]],
)
def test_text_array_reads_back_as_its_values(values):
    with connection.cursor() as cursor:
        cursor.execute("SELECT array_length(%s::text[], 1), %s::text[]", [text_array(values)] * 2)
        length, read = cursor.fetchone()

    assert (length or 0, read) == (len(values), values)


@pytest.mark.parametrize("ids", [[], [1], [3, 1, 2**62]])
def test_id_array_reads_back_as_its_ids(ids):
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::bigint[]", [id_array(ids)])

        assert cursor.fetchone()[0] == ids

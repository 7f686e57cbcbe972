"""The Omnitron list costs the same queries whatever the page holds."""

import pytest

from tests.compat.omnitron.conftest import BASE
from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db

# The user's channel scope, its user and group permissions, the count and the page.
LIST_QUERIES = 5


@pytest.mark.parametrize("rows", [1, 3, 20])
def test_list_queries_are_constant(django_assert_num_queries, web_client, web, shop, rows):
    CustomerFactory.create_batch(rows, channel=web)
    CustomerFactory(channel=shop)

    with django_assert_num_queries(LIST_QUERIES):
        response = web_client.get(BASE, {"limit": 50})

    assert response.status_code == 200
    assert response.data["count"] == rows


@pytest.mark.parametrize("rows", [1, 20])
def test_filtered_by_channel_list_queries_are_constant(
    django_assert_num_queries, web_client, web, rows
):
    CustomerFactory.create_batch(rows, channel=web)

    # The channel ids are checked against the visible channels: the scope again and the ids.
    with django_assert_num_queries(LIST_QUERIES + 2):
        response = web_client.get(BASE, {"channel": web.pk})

    assert response.data["count"] == rows

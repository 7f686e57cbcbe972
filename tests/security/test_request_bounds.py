"""Caps on one request: filter values, words in `q` and the URL's length, answered with the
limit (400 naming the parameter, 414 for the URL) on the native API and the dialects."""

import pytest
import requests

from config.request_bounds import TOO_MANY_VALUES, TOO_MANY_WORDS, URL_TOO_LONG
from tests.customers.factories import ChannelFactory, CustomerFactory
from tests.servers import gunicorn_running, server_env

pytestmark = pytest.mark.django_db

CUSTOMERS = "/api/v1/customers/"


@pytest.fixture
def small_caps(settings):
    settings.API_MAX_FILTER_VALUES = 5
    settings.API_MAX_SEARCH_WORDS = 3
    settings.API_MAX_URL_LENGTH = 200


def test_defaults():
    from config.settings import base

    assert (base.API_MAX_FILTER_VALUES, base.API_MAX_SEARCH_WORDS, base.API_MAX_URL_LENGTH) == (
        500,
        10,
        8000,
    )


def test_default_filter_value_cap_holds_at_500(api_client):
    ids = ",".join(str(n) for n in range(1, 501))

    assert api_client.get(CUSTOMERS, {"id__in": ids}).status_code == 200
    response = api_client.get(CUSTOMERS, {"id__in": f"{ids},501"})

    assert response.status_code == 400
    assert response.json() == {"id__in": [TOO_MANY_VALUES.format(limit=500, count=501)]}


@pytest.mark.parametrize(
    ("query", "named", "count"),
    [
        pytest.param("id__in=1,2,3,4,5,6", "id__in", 6, id="comma-separated"),
        pytest.param("id__in=1,2,3&pk__in=4,5,6,7", "pk__in", 7, id="spread-over-parameters"),
    ],
)
def test_too_many_customer_filter_values(api_client, small_caps, query, named, count):
    response = api_client.get(f"{CUSTOMERS}?{query}")

    assert response.status_code == 400
    assert response.json() == {named: [TOO_MANY_VALUES.format(limit=5, count=count)]}


def test_repeated_parameters_count_each(api_client, small_caps):
    query = "&".join(f"status__in={status}" for status in ["paid"] * 6)

    response = api_client.get(f"/api/v1/orders/?{query}")

    assert response.status_code == 400
    assert response.json() == {"status__in": [TOO_MANY_VALUES.format(limit=5, count=6)]}


def test_values_at_the_cap_are_served(api_client, small_caps):
    customer = CustomerFactory()

    response = api_client.get(CUSTOMERS, {"id__in": f"{customer.pk},2,3,4,5"})

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [customer.pk]


def test_search_words_are_capped(api_client, small_caps):
    CustomerFactory(first_name="Ann", last_name="Lee", email="ann@example.com")

    served = api_client.get(CUSTOMERS, {"q": "ann lee example"})
    refused = api_client.get(CUSTOMERS, {"q": "ann lee example com"})

    assert served.status_code == 200
    assert served.json()["count"] == 1
    assert refused.status_code == 400
    assert refused.json() == {"q": [TOO_MANY_WORDS.format(limit=3, count=4)]}


def test_default_search_word_cap_is_ten(api_client):
    response = api_client.get(CUSTOMERS, {"q": " ".join("a" * 11)})

    assert response.status_code == 400
    assert response.json() == {"q": [TOO_MANY_WORDS.format(limit=10, count=11)]}


def test_the_admin_search_holds_the_same_word_cap(superuser, client, small_caps):
    # given: a customer every word below matches
    CustomerFactory(first_name="Ann", last_name="Lee", email="ann@example.com")
    client.force_login(superuser)
    changelist = "/admin/customers/customer/"

    # when: staff search with as many words as the cap allows, then one more
    served = client.get(changelist, {"q": "ann lee example"})
    refused = client.get(changelist, {"q": "ann lee example com"})

    # then: the first finds her; the second runs no search and says why
    assert served.status_code == 200
    assert list(served.context["cl"].result_list.values_list("email", flat=True)) == [
        "ann@example.com"
    ]
    assert refused.status_code == 200
    assert list(refused.context["cl"].result_list) == []
    shown = [str(message) for message in refused.context["messages"]]
    assert shown == [TOO_MANY_WORDS.format(limit=3, count=4)]


def test_url_over_the_cap_is_414(api_client, small_caps):
    served = api_client.get(f"{CUSTOMERS}?email=" + "a" * (200 - len(CUSTOMERS) - 7))
    refused = api_client.get(f"{CUSTOMERS}?email=" + "a" * (200 - len(CUSTOMERS) - 6))

    assert served.status_code == 200
    assert refused.status_code == 414
    assert refused.json() == {"detail": URL_TOO_LONG.format(limit=200)}


@pytest.fixture
def web(db):
    return ChannelFactory(code="web")


@pytest.mark.parametrize(
    ("path", "query", "body"),
    [
        pytest.param(
            "/compat/nuvemshop/v1/web/customers",
            "q=a b c d",
            {"q": [TOO_MANY_WORDS.format(limit=3, count=4)]},
            id="nuvemshop-q",
        ),
        pytest.param(
            "/compat/nuvemshop/v1/web/customers",
            "fields=id,name,email,phone,note,extra",
            {"fields": [TOO_MANY_VALUES.format(limit=5, count=6)]},
            id="nuvemshop-values",
        ),
        pytest.param(
            "/compat/kibo/web/api/v2/customer/",
            "&".join(["email=a@example.com"] * 6),
            {"email": [TOO_MANY_VALUES.format(limit=5, count=6)]},
            id="kibo-values",
        ),
        pytest.param(
            "/compat/omnitron/api/v1/customers/",
            "id__in=1,2,3,4,5,6",
            {"id__in": [TOO_MANY_VALUES.format(limit=5, count=6)]},
            id="omnitron-values",
        ),
    ],
)
def test_dialect_lists_are_capped(api_client, small_caps, web, path, query, body):
    response = api_client.get(f"{path}?{query}")

    assert response.status_code == 400
    assert response.json() == body


def test_dialect_url_over_the_cap_is_414(api_client, small_caps, web):
    response = api_client.get("/compat/nuvemshop/v1/web/customers?q=" + "a" * 200)

    assert response.status_code == 414


@pytest.mark.django_db(transaction=True)
def test_gunicorn_request_line_matches_the_url_cap(tmp_path):
    """Just past API_MAX_URL_LENGTH the app answers 414 naming it; far past, gunicorn itself
    answers 414 before the request reaches Python."""
    env = server_env(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", API_MAX_URL_LENGTH="1000")
    with gunicorn_running(env) as base:
        path = f"{CUSTOMERS}?email="
        at_cap = requests.get(base + path + "a" * (1000 - len(path)), timeout=30)
        past = requests.get(base + path + "a" * (1001 - len(path)), timeout=30)
        far_past = requests.get(base + path + "a" * 2000, timeout=30)

    assert at_cap.status_code == 401  # served: no credentials
    assert past.status_code == 414
    assert past.json() == {"detail": URL_TOO_LONG.format(limit=1000)}
    assert far_past.status_code == 414
    assert "Request Line is too large" in far_past.text

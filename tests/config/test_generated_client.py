"""A client generated from the live schema by openapi-python-client reads errors as typed objects.

The schema is fetched from a running server, the client package is generated into a temporary
folder and imported, and its calls go over HTTP to the same server, as an integrator's would.
"""

import importlib
import json
import sys

import pytest

from customers.validation import INVALID_COUNTRY, INVALID_EMAIL
from tests.conftest import api_key_for, patron_user_create
from tests.customers.factories import ChannelFactory, CustomerFactory

openapi_python_client = pytest.importorskip(
    "openapi_python_client",
    reason="openapi-python-client is not installed (it is a dev dependency: make install)",
)
from openapi_python_client.config import Config, ConfigFile, MetaType  # noqa: E402

pytestmark = pytest.mark.django_db(transaction=True)

PACKAGE = "patron_generated_client"


@pytest.fixture(scope="module")
def generated(live_server, tmp_path_factory, django_db_blocker):
    """The generated package's modules, imported from a temporary folder; forgotten afterwards."""
    folder = tmp_path_factory.mktemp("client")
    config = Config.from_sources(
        # No post-hooks: formatting the generated code is not needed to import it.
        ConfigFile(package_name_override=PACKAGE, post_hooks=[]),
        MetaType.NONE,
        f"{live_server.url}/api/v1/schema/?format=json",
        "utf-8",
        overwrite=True,
        output_path=folder / PACKAGE,
    )
    # The server closes stale connections on each request: database access must be allowed.
    with django_db_blocker.unblock():
        errors = openapi_python_client.generate(config=config)
    assert not errors, [f"{error.header}: {error.detail}" for error in errors]
    sys.path.insert(0, str(folder))
    yield lambda name: importlib.import_module(f"{PACKAGE}.{name}")
    sys.path.remove(str(folder))
    for name in [module for module in sys.modules if module.split(".")[0] == PACKAGE]:
        del sys.modules[name]


@pytest.fixture
def client(live_server, generated):
    user = patron_user_create("integrator")
    token = api_key_for(user)
    module = generated("client")
    with module.AuthenticatedClient(
        base_url=live_server.url, token=token, prefix="Token", raise_on_unexpected_status=True
    ) as client:
        yield client


def test_a_400_is_read_as_typed_field_errors(generated, client):
    # given
    ChannelFactory(code="web")
    models = generated("models")
    create = generated("api.customers.customers_create")
    body = models.CustomerRequest.from_dict(
        {
            "channel": "web",
            "email": "not-an-e-mail",
            "addresses": [{"city": "Rio", "country": "BR"}, {"city": "Oz", "country": "XX"}],
        }
    )

    # when
    response = create.sync_detailed(client=client, body=body)

    # then
    assert response.status_code == 400
    errors = response.parsed
    assert isinstance(errors, models.ValidationError)
    assert errors.additional_properties["email"] == [INVALID_EMAIL]
    first, second = errors["addresses"]
    assert isinstance(second, models.NestedErrors)
    assert first.additional_properties == {}
    assert second["country"] == [INVALID_COUNTRY]


def test_bulk_item_errors_and_error_details_are_typed(generated, client):
    ChannelFactory(code="web")
    models = generated("models")
    upsert = generated("api.customers.customers_upsert_create")
    retrieve = generated("api.customers.customers_retrieve")
    items = [{"channel": "web", "email": f"c{index}@example.com"} for index in range(3)]
    items[2]["email"] = "nope"

    body = [models.CustomerRequest.from_dict(item) for item in items]

    refused = upsert.sync_detailed(client=client, body=body).parsed
    missing = retrieve.sync_detailed(client=client, id=999_999).parsed

    assert isinstance(refused, models.ValidationError)
    assert refused["items"]["2"]["email"] == [INVALID_EMAIL]
    assert isinstance(missing, models.ErrorDetail)
    assert missing.detail == "No Customer matches the given query."


def test_the_json_key_filter_is_a_usable_parameter(generated, client):
    web = ChannelFactory(code="web")
    gold = CustomerFactory(channel=web, attributes={"tier": "gold", "size": 2})
    CustomerFactory(channel=web, attributes={"tier": "silver", "size": 2})
    customers_list = generated("api.customers.customers_list")

    page = customers_list.sync(client=client, attributes=json.dumps({"tier": "gold", "size": "2"}))

    assert [customer.id for customer in page.results] == [gold.pk]

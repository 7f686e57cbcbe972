"""Every operation of the OpenAPI schema, fuzzed, alone and in sequences (stateful): no 5xx, no
answer the schema does not allow."""

import os

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection, transaction
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ensure_resource_availability,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    use_after_free,
)

from config.exceptions import UNSTORABLE
from config.wsgi import application
from tests.conftest import api_key_for
from tests.customers.factories import ChannelFactory, CustomerFactory
from tests.groups.factories import UserCustomerGroupFactory, UserGroupFactory
from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db

# Bounded so CI stays fast; derandomized, so a failure reproduces. PostgreSQL, the production
# database and the stricter one, gets the deep run: 50 examples per operation, the coverage phase
# (boundary values of every parameter: NULs, huge numbers, odd dates) and the longer stateful
# run; SQLite gets 20 examples and a short stateful run (figures: bench/RESULTS.md,
# "Schemathesis"). SCHEMATHESIS_MAX_EXAMPLES, SCHEMATHESIS_COVERAGE=1/0 and
# SCHEMATHESIS_STATEFUL_EXAMPLES override them.
_ON_POSTGRESQL = connection.vendor == "postgresql"
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "50" if _ON_POSTGRESQL else "20"))
COVERAGE = os.environ.get("SCHEMATHESIS_COVERAGE", "1" if _ON_POSTGRESQL else "0") == "1"
# Scenarios of the stateful run, each a chain of up to STATEFUL_STEPS calls.
STATEFUL_EXAMPLES = int(
    os.environ.get("SCHEMATHESIS_STATEFUL_EXAMPLES", "50" if _ON_POSTGRESQL else "15")
)
STATEFUL_STEPS = 8

schema = schemathesis.openapi.from_wsgi(
    "/api/v1/schema/",
    application,
    config=schemathesis.Config.from_dict({"phases": {"coverage": {"enabled": COVERAGE}}}),
)

# What a response may do is checked in full. Two checks on requests are left out:
# negative_data_rejection (django-filter ignores an empty or repeated parameter by design) and
# positive_data_acceptance (a schema-valid body may still name an unknown channel or an
# invalid currency code, which only the database and the services can know).


@schemathesis.check
def no_unstorable_fallback(ctx, response, case):
    """The exception handler's DataError fallback never answers: every field guards itself."""
    if response.status_code == 400 and str(UNSTORABLE) in response.text:
        raise AssertionError("A value reached the database unchecked (DataError/OverflowError).")


CHECKS = [
    no_unstorable_fallback,
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(autouse=True)
def _keep_test_connection():
    """Keep the test's DB connection open across requests, as Django's own test client does.

    The WSGI app closes connections at the end of each request, which would end the test's
    transaction on PostgreSQL.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(superuser):
    """A superuser's token, and rows named the way generated data names things ("0")."""
    channel = ChannelFactory(code="0")
    group = UserGroupFactory(code="0")
    customer = CustomerFactory(channel=channel, email="0@0.com")
    UserCustomerGroupFactory(customer=customer, group=group)
    OrderFactory(channel=channel, customer=customer, number="0")
    return api_key_for(superuser)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_operation(case, token):
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)


# Stateful: sequences of calls that follow the links between operations, which schemathesis
# infers from the schema (a create's answer `id` feeds the detail, update, delete and nested
# routes of the same resource), so later calls run against objects the earlier ones made. On
# top of the checks above: a created resource is readable at once, a deleted one is gone.
STATEFUL_CHECKS = [*CHECKS, ensure_resource_availability, use_after_free]


class APIWorkflow(schema.as_state_machine()):
    """Each scenario starts from the same data: what it wrote is rolled back at its end, so that
    Hypothesis can replay (and shrink) a scenario and get the same answers."""

    token: str = ""

    def setup(self):
        cache.clear()
        self.savepoint = transaction.savepoint()

    def teardown(self):
        transaction.savepoint_rollback(self.savepoint)

    def get_call_kwargs(self, case):
        return {"headers": {"Authorization": f"Token {self.token}"}}

    def validate_response(self, response, case, additional_checks=None, **kwargs):
        case.validate_response(
            response, checks=STATEFUL_CHECKS, transport_kwargs=kwargs, recorder=self.recorder
        )


def test_api_workflows(token):
    APIWorkflow.token = token

    APIWorkflow.run(
        settings=settings(
            max_examples=STATEFUL_EXAMPLES,
            stateful_step_count=STATEFUL_STEPS,
            derandomize=True,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    )

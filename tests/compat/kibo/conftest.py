"""Fixtures of the Kibo dialect's tests: a channel, a token client, the seed's files."""

import json
import re
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from tests.conftest import api_key_for
from tests.customers.factories import ChannelFactory

SEEDS = Path(__file__).parent / "seeds"
REQUESTS = json.loads((SEEDS / "requests.json").read_text())
# The seed's custom data response prints numbers with leading zeros (`"orderID": 00000`),
# which JSON does not allow: they are read as the numbers they spell.
_LEADING_ZEROS = re.compile(r"(?<=[:\[,\s])0+(?=\d)")


def seed_text(name: str) -> str:
    return (SEEDS / name).read_text()


def seed_json(name: str):
    """A seed example as data; numbers written with leading zeros read as numbers."""
    text = seed_text(name)
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return json.loads(_LEADING_ZEROS.sub("", text))


def seed_url(name: str, channel: str, **ids: str) -> str:
    """The seed's URL with only its base changed to the channel's Kibo prefix and, where the
    seed's ids cannot exist here, each given seed id (`0123456=...`) replaced by a fixture's."""
    url = REQUESTS[name]["url"].replace(REQUESTS["base_url"], f"/compat/kibo/{channel}")
    for seed_id, real_id in ids.items():
        url = re.sub(rf"(?<=[/=]){seed_id.lstrip('_')}(?=$|[/?&])", str(real_id), url)
    return url


def shape(value):
    """The structure of a JSON value: keys and nesting, with each leaf's type."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value[:1]]
    return type(value).__name__


@pytest.fixture
def channel(db):
    return ChannelFactory(code="store-1")


@pytest.fixture
def token_client(api_user):
    """A client sending Patron's token header, as an integration would."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_key_for(api_user)}")
    return client

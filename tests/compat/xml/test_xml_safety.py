"""Hostile or broken XML is a 400 that reads, expands and fetches nothing; too big a body 413."""

import socket
import threading

import pytest
from django.test import override_settings

from compat.xml.resultset import document_parse
from customers.models import Customer
from groups.models import UserGroup
from tests.compat.xml.conftest import url
from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<ResultSet><UserGroup><code>lol</code><title>&lol9;</title></UserGroup></ResultSet>"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY ext SYSTEM "{target}">]>
<ResultSet><UserGroup><code>ext</code><title>&ext;</title></UserGroup></ResultSet>"""

DTD_ONLY = """<?xml version="1.0"?>
<!DOCTYPE ResultSet SYSTEM "{target}">
<ResultSet><UserGroup><code>dtd</code><title>DTD</title></UserGroup></ResultSet>"""

MALFORMED = [
    pytest.param("<ResultSet><UserGroup><code>x</code></ResultSet>", id="unclosed"),
    pytest.param("<ResultSet>", id="truncated"),
    pytest.param("not xml at all", id="text"),
    pytest.param(
        "<ResultSet><UserGroup><code>&undefined;</code></UserGroup></ResultSet>", id="entity"
    ),
    pytest.param("<a:ResultSet/>", id="unbound-prefix"),
    pytest.param("<ResultSet></ResultSet><ResultSet/>", id="two-roots"),
]


def _assert_refused(response, *, fragment: str = "") -> None:
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    assert b"<Error" in response.content
    assert fragment.encode() in response.content
    assert not UserGroup.objects.exists()


@pytest.mark.parametrize("body", MALFORMED)
def test_malformed_xml_is_400(send, channel, body):
    _assert_refused(send("post", url("web", "UserGroups"), body), fragment="Malformed XML")


def test_empty_body_is_400_naming_the_resultset(send, channel):
    _assert_refused(send("post", url("web", "UserGroups"), ""), fragment='field="ResultSet"')


def test_billion_laughs_is_400_without_expanding(send, channel):
    response = send("post", url("web", "UserGroups"), BILLION_LAUGHS)

    _assert_refused(response, fragment="DTD, entity declarations or external references")
    assert b"lollol" not in response.content


def test_file_entity_is_400_and_the_file_is_not_read(send, channel, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")

    response = send(
        "post", url("web", "UserGroups"), EXTERNAL_ENTITY.format(target=secret.as_uri())
    )

    _assert_refused(response, fragment="external references")
    assert b"TOP-SECRET-VALUE" not in response.content


@pytest.fixture
def listener():
    """A real socket on loopback that records whether anything connects to it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    connections, stop = [], threading.Event()

    def accept():
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            connections.append(connection.recv(1024))
            connection.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/evil.dtd", connections
    stop.set()
    thread.join()
    server.close()


@pytest.mark.parametrize("template", [EXTERNAL_ENTITY, DTD_ONLY], ids=["entity", "dtd"])
def test_http_entity_or_dtd_is_400_and_nothing_is_fetched(send, channel, listener, template):
    target, connections = listener

    response = send("post", url("web", "UserGroups"), template.format(target=target))

    _assert_refused(response, fragment="DTD")
    assert connections == []


def test_customer_route_refuses_hostile_xml_too(send, channel):
    response = send("post", url("web", "Customer"), BILLION_LAUGHS.replace("UserGroup", "Customer"))

    assert response.status_code == 400
    assert not Customer.objects.exists()


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024)
def test_body_over_the_limit_is_413_as_the_native_api(send, channel):
    titles = "".join(f"<UserGroup><code>g{n}</code><title>T</title></UserGroup>" for n in range(60))
    body = f"<ResultSet>{titles}</ResultSet>"
    assert len(body) > 1024

    response = send("post", url("web", "UserGroups"), body)

    assert response.status_code == 413
    assert b"Request body too large: the limit is 1024 bytes." in response.content
    assert not UserGroup.objects.exists()


def test_deep_nesting_is_400(send, channel):
    body = "<ResultSet>" + "<a>" * 100 + "x" + "</a>" * 100 + "</ResultSet>"

    response = send("post", url("web", "UserGroups"), body)

    assert response.status_code == 400
    assert b"nested too deeply" in response.content


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("<Customers/>", "root element must be &lt;ResultSet&gt;"),
        ('<ResultSet><UserGroup code="x"/></ResultSet>', "Attributes are not accepted"),
        ("<ResultSet><UserGroup>x<code>y</code></UserGroup></ResultSet>", "Text beside"),
    ],
    ids=["root", "attribute", "mixed-content"],
)
def test_documents_the_dialect_does_not_read_are_400(send, channel, body, fragment):
    response = send("post", url("web", "UserGroups"), body)

    assert response.status_code == 400
    assert fragment.encode() in response.content


def test_a_stored_control_character_still_answers_well_formed_xml(client, channel):
    CustomerFactory(channel=channel, username="c", email="c@example.com", first_name="A\x01B")

    xml = client.get(url("web", "Customer/c"))
    json_ = client.get(url("web", "Customer/c"), HTTP_ACCEPT="application/json")

    (node,) = document_parse(xml.content)["ResultSet"]["Customer"]
    assert node["b_fname"] == ["A\ufffdB"]
    assert json_.json()["ResultSet"]["Customer"][0]["b_fname"] == "A\x01B"

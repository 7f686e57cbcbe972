import pytest

from config.unknown_names import closest_name, unknown_fields, unknown_name_message

CUSTOMER_NAMES = ["id", "email", "first_name", "last_name", "phone", "created_at__gte"]
CUSTOMER_NAMES += ["is_default"]


@pytest.mark.parametrize(
    ("sent", "meant"),
    [
        ("firstName", "first_name"),
        ("FIRST-NAME", "first_name"),
        ("created_date__gte", "created_at__gte"),
        ("phone_number", "phone"),
        ("default", "is_default"),
        ("customerID", "id"),
        ("customerPhone", "phone"),
        ("zzzz", None),
    ],
)
def test_the_closest_known_name_is_suggested(sent, meant):
    assert closest_name(sent, CUSTOMER_NAMES) == meant


def test_messages_name_what_was_sent_and_what_was_meant():
    assert (
        unknown_name_message("firstName", CUSTOMER_NAMES)
        == "Unknown field 'firstName'. Did you mean 'first_name'?"
    )
    assert unknown_name_message("zzzz", CUSTOMER_NAMES, parameter=True) == (
        "Unknown query parameter 'zzzz'."
    )


def test_unknown_fields_names_each_unknown_key_and_always_knows_version():
    body = {"first_name": "Ann", "firstName": "Ann", "zzzz": 1, "version": "3"}

    assert unknown_fields(body, CUSTOMER_NAMES) == {
        "firstName": ["Unknown field 'firstName'. Did you mean 'first_name'?"],
        "zzzz": ["Unknown field 'zzzz'."],
    }
    assert unknown_fields({"email": "a@example.com"}, CUSTOMER_NAMES) == {}

"""Omnitron's customer names ↔ Patron's, and the translation of a body and its errors.

Only names and shapes change here: every value is checked by customers.services (the one
customer validator), and its messages come back under Omnitron's names.
"""

from collections.abc import Mapping

from config.rest import errors_nest
from config.unknown_names import unknown_fields
from customers.imports.rows import boolean_clean
from customers.models import Customer
from customers.selectors import channel_list

# Omnitron field → Patron field, for the names that differ. Every other Omnitron field has
# Patron's name (email, first_name, last_name, channel_code, erp_code, attributes,
# extra_field, the consent flags, date_joined, gender, user_type, date_of_birth).
RENAMED = {
    "pk": "id",
    "phone_number": "phone",
    "is_active": "status",
    "created_date": "created_at",
    "modified_date": "updated_at",
}
SAME_NAME = (
    "email",
    "first_name",
    "last_name",
    "channel_code",
    "erp_code",
    "attributes",
    "extra_field",
    "email_allowed",
    "sms_allowed",
    "call_allowed",
    "date_joined",
    "gender",
    "user_type",
    "date_of_birth",
)
# The representation, in Omnitron's order.
CUSTOMER_FIELDS = (
    "pk",
    "email",
    "first_name",
    "last_name",
    "phone_number",
    "is_active",
    "channel_code",
    "erp_code",
    "attributes",
    "extra_field",
    "email_allowed",
    "sms_allowed",
    "call_allowed",
    "date_joined",
    "gender",
    "user_type",
    "date_of_birth",
    "channel",
    "created_date",
    "modified_date",
)
READ_ONLY_FIELDS = frozenset({"pk", "created_date", "modified_date"})
PATRON_NAMES = {name: RENAMED.get(name, name) for name in CUSTOMER_FIELDS}
OMNITRON_NAMES = {patron: omnitron for omnitron, patron in PATRON_NAMES.items()}

# DRF's PrimaryKeyRelatedField messages, which Omnitron answers for a bad `channel`.
CHANNEL_DOES_NOT_EXIST = 'Invalid pk "{pk_value}" - object does not exist.'
CHANNEL_NULL = "This field may not be null."
CHANNEL_INCORRECT_TYPE = "Incorrect type. Expected pk value, received {data_type}."
NOT_A_DICT = "Invalid data. Expected a dictionary, but got {datatype}."
NON_FIELD_ERRORS = "non_field_errors"


class OmnitronInvalid(Exception):
    """A body refused; `errors` is the 400 answer, under Omnitron's names."""

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


def _channel_code(value, *, user) -> str:
    """The code of the channel an Omnitron channel id names, among those the user sees."""
    if value is None:
        raise ValueError(CHANNEL_NULL)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(CHANNEL_INCORRECT_TYPE.format(data_type=type(value).__name__))
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise ValueError(CHANNEL_DOES_NOT_EXIST.format(pk_value=value))
    code = channel_list(user=user).filter(pk=int(text)).values_list("code", flat=True).first()
    if code is None:
        raise ValueError(CHANNEL_DOES_NOT_EXIST.format(pk_value=value))
    return code


def _status(value, customer: Customer | None) -> str | None:
    """`is_active` as a status: true is active; false is inactive, or the customer's own
    status when that is already not active (a frozen customer stays frozen)."""
    if boolean_clean(value):
        return Customer.Status.ACTIVE.value
    if customer is not None and customer.status != Customer.Status.ACTIVE:
        return None
    return Customer.Status.INACTIVE.value


def customer_data_from_omnitron(
    data, *, user, customer: Customer | None = None
) -> tuple[dict, dict[str, list[str]]]:
    """Return (Patron's API object, errors) for an Omnitron customer body.

    The errors name, under Omnitron's names, unknown fields and values that have no Patron
    form (a channel id the user cannot see, an is_active that is no boolean); the object
    holds every other field. Read-only names are accepted and ignored.
    """
    if not isinstance(data, Mapping):
        datatype = "list" if isinstance(data, list) else type(data).__name__
        raise OmnitronInvalid({NON_FIELD_ERRORS: [NOT_A_DICT.format(datatype=datatype)]})
    errors = unknown_fields(data, CUSTOMER_FIELDS)
    patron = {}
    for name, value in data.items():
        if name in errors or name in READ_ONLY_FIELDS:
            continue
        try:
            if name == "channel":
                patron["channel"] = _channel_code(value, user=user)
            elif name == "is_active":
                status = _status(value, customer)
                if status is not None:
                    patron["status"] = status
            else:
                patron[PATRON_NAMES[name]] = value
        except ValueError as error:
            errors[name] = [str(error)]
    return patron, errors


def errors_to_omnitron(errors: dict[str, list[str]]) -> dict:
    """The service's {dotted Patron path: messages} as a 400 body under Omnitron's names."""
    renamed = {}
    for key, messages in errors.items():
        head, dot, rest = key.partition(".")
        renamed[OMNITRON_NAMES.get(head, head) + dot + rest] = messages
    return errors_nest(renamed)

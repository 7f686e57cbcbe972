"""Field rules shared by the API, the admin and the importers.

Plain functions, cheap enough to run per row in a bulk import; each raises Django's
ValidationError with one of the messages below.
"""

import re
from decimal import Decimal

import pycountry
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator

from customers.models import Customer

INVALID_COUNTRY = "Use an ISO 3166-1 alpha-2 country code such as 'BR' or 'US'."
INVALID_CURRENCY = "Use an ISO 4217 currency code such as 'USD' or 'BRL'."
INVALID_EMAIL = "Enter a valid e-mail address."
EMAIL_REQUIRED = "This field is required."

COUNTRY_CODES = frozenset(country.alpha_2 for country in pycountry.countries)
CURRENCY_CODES = frozenset(currency.alpha_3 for currency in pycountry.currencies)


def _compiled(lazy_pattern) -> re.Pattern:
    return re.compile(lazy_pattern.pattern, lazy_pattern.flags)


class _EmailValidator(EmailValidator):
    """Django's e-mail rules with the patterns compiled up front: Django's lazily compiled
    ones go through a proxy on every use, which an import of a million rows feels."""

    user_regex = _compiled(EmailValidator.user_regex)
    domain_regex = _compiled(EmailValidator.domain_regex)
    literal_regex = _compiled(EmailValidator.literal_regex)


validate_email = _EmailValidator()


def email_normalize(value: str) -> str:
    """Return the e-mail trimmed and lower-cased, as it is stored and matched."""
    normalized = (value or "").strip().lower()
    if not normalized:
        raise ValidationError(EMAIL_REQUIRED, code="required")
    try:
        validate_email(normalized)
    except ValidationError:
        raise ValidationError(INVALID_EMAIL, code="invalid") from None
    return normalized


def country_normalize(value: str) -> str:
    """Return the ISO 3166-1 alpha-2 code upper-cased; blank stays blank."""
    code = (value or "").strip().upper()
    if code and code not in COUNTRY_CODES:
        raise ValidationError(INVALID_COUNTRY, code="invalid_country")
    return code


def currency_normalize(value: str) -> str:
    """Return the ISO 4217 code upper-cased."""
    code = (value or "").strip().upper()
    if code not in CURRENCY_CODES:
        raise ValidationError(INVALID_CURRENCY, code="invalid_currency")
    return code


EMAIL_TAKEN = "A customer with this e-mail already exists in this channel."
EMAIL_TAKEN_CODE = "email_taken"
USERNAME_TAKEN = "A customer with this username already exists in this channel."
CHANNEL_IMMUTABLE = "The channel of a customer cannot change."
NOT_AN_OBJECT = 'Send a JSON object, such as {"key": "value"}.'
DISCOUNT_RANGE = "Enter a discount from 0 to 100."
JSON_OBJECT_FIELDS = ("attributes", "extra_field")


def name_split(value: str) -> tuple[str, str]:
    """Split a single full name into (first_name, last_name) on its first space."""
    first, _, last = (value or "").strip().partition(" ")
    return first, last.strip()


def password_check(password: str) -> None:
    """Raise ValidationError({"password": ...}) when Django's password validators refuse it."""
    try:
        validate_password(password)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from None


def _customer_field_errors(customer) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for field in JSON_OBJECT_FIELDS:
        if not isinstance(getattr(customer, field), dict):
            errors[field] = [NOT_AN_OBJECT]
    discount = customer.discount_percent
    if discount is not None and not (0 <= Decimal(str(discount)) <= 100):
        errors["discount_percent"] = [DISCOUNT_RANGE]
    return errors


def _customer_unique_errors(customer) -> dict[str, list]:
    errors: dict[str, list[str]] = {}
    same_channel = Customer.objects.filter(channel_id=customer.channel_id).exclude(pk=customer.pk)
    if customer.email and same_channel.filter(email=customer.email).exists():
        errors["email"] = [ValidationError(EMAIL_TAKEN, code=EMAIL_TAKEN_CODE)]
    if customer.username and same_channel.filter(username=customer.username).exists():
        errors["username"] = [ValidationError(USERNAME_TAKEN, code="username_taken")]
    return errors


def customer_clean(customer) -> None:
    """Validate a customer about to be saved; raise ValidationError naming every bad field.

    The one check shared by the API, the admin and the importers: e-mail and username
    normalised and unique per channel, choices, lengths, JSON objects, discount 0..100.
    """
    errors: dict[str, list] = {}
    try:
        customer.email = email_normalize(customer.email)
    except ValidationError as error:
        errors["email"] = error.messages
    customer.username = (customer.username or "").strip() or None
    errors.update(_customer_field_errors(customer))
    try:
        # Constraints are checked above with field-level messages (and fewer queries).
        customer.full_clean(exclude=list(errors), validate_constraints=False)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if not errors:
        errors.update(_customer_unique_errors(customer))
    if errors:
        raise ValidationError(errors)


def address_clean(address) -> None:
    """Validate an address about to be saved; raise ValidationError naming every bad field."""
    errors: dict[str, list[str]] = {}
    try:
        address.country = country_normalize(address.country)
    except ValidationError as error:
        errors["country"] = error.messages
    try:
        address.full_clean(exclude=list(errors), validate_constraints=False)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)

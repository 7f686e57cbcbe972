"""Field rules shared by the API, the admin and the importers.

Plain functions, cheap enough to run per row in a bulk import; each raises Django's
ValidationError with one of the messages below.
"""

import re

import pycountry
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext_lazy as _

INVALID_COUNTRY = _("Use an ISO 3166-1 alpha-2 country code such as 'BR' or 'US'.")
INVALID_CURRENCY = _("Use an ISO 4217 currency code such as 'USD' or 'BRL'.")
INVALID_EMAIL = _("Enter a valid email address.")
EMAIL_REQUIRED = _("This field is required.")

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


EMAIL_TAKEN = _("A customer with this e-mail already exists in this channel.")
EMAIL_TAKEN_CODE = "email_taken"
USERNAME_TAKEN = _("A customer with this username already exists in this channel.")
CHANNEL_IMMUTABLE = _("The channel of a customer cannot change.")
NOT_AN_OBJECT = _('Send a JSON object, such as {"key": "value"}.')
DISCOUNT_RANGE = _("Enter a discount from 0 to 100.")
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

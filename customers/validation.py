"""Field rules shared by the API, the admin and the importers.

Plain functions, cheap enough to run per row in a bulk import; each raises Django's
ValidationError with one of the messages below.
"""

import pycountry
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

INVALID_COUNTRY = "Use an ISO 3166-1 alpha-2 country code such as 'BR' or 'US'."
INVALID_CURRENCY = "Use an ISO 4217 currency code such as 'USD' or 'BRL'."
INVALID_EMAIL = "Enter a valid e-mail address."
EMAIL_REQUIRED = "This field is required."

COUNTRY_CODES = frozenset(country.alpha_2 for country in pycountry.countries)
CURRENCY_CODES = frozenset(currency.alpha_3 for currency in pycountry.currencies)


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

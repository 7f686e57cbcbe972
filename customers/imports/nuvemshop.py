"""Nuvemshop's names for fields Patron names otherwise, taken on write.

A body written for Nuvemshop (its customer PUT example, sent as it is) then changes what it
says instead of being refused: its customer's `extra` is Patron's `extra_field`, its flat
`billing_*` fields describe Patron's billing address (an address with is_billing), and its
addresses say `default` for `is_default`. Any other name Patron does not know is refused.
"""

from django.utils.translation import gettext_lazy as _

from customers.models import ADDRESS_TEXT_FIELDS

CUSTOMER_ALIASES = {"extra": "extra_field"}
ADDRESS_ALIASES = {"default": "is_default"}
# billing_city → city, …; `billing_address` is the street only when it is text (Patron's
# own read-only billing_address is an object or null).
BILLING_FIELDS = {f"billing_{name}": name for name in ADDRESS_TEXT_FIELDS}
BILLING_STREET = "billing_address"
ALIAS_AND_NAME = _("'{alias}' is another name of '{name}': send only one of them.")

"""Which of a customer's addresses the XML API's billing and shipping fields change.

The XML API has one billing and one shipping address per customer, as flat fields. In Patron
they are the address with is_billing and the address with is_default (one address may be
both: a customer with one address shows it in both blocks). A block sent changes its address
in place; when that address is also the other block's, the sent block moves to a copy of it
(with the flag), so the other block keeps what it showed. A block with no address yet adds
one. The result is Patron's whole `addresses` list (items with an `id` change that address,
the fields they send; the others are added), which the native edit writes in one go.
"""

from customers.models import ADDRESS_TEXT_FIELDS

BILLING_FIELDS = {  # XML name: the billing address's field
    "b_address1": "address",
    "b_address2": "address2",
    "b_address3": "address3",
    "b_city": "city",
    "b_state": "province",
    "b_zip": "zipcode",
    "b_country": "country",
}
SHIPPING_FIELDS = {  # XML name: the default (shipping) address's field
    "company": "company",
    "fname": "first_name",
    "lname": "last_name",
    "address1": "address",
    "address2": "address2",
    "address3": "address3",
    "city": "city",
    "state": "province",
    "zip": "zipcode",
    "country": "country",
}
FLAGS = {"is_billing": "is_default", "is_default": "is_billing"}


class _Entry:
    """One address of the list being built: what is sent for it and the flags it will have."""

    def __init__(self, item: dict, flags: set[str], text: dict):
        self.item, self.flags, self.text = item, flags, text


def _stored_entry(address) -> _Entry:
    flags = {flag for flag in FLAGS if getattr(address, flag)}
    text = {name: getattr(address, name) for name in ADDRESS_TEXT_FIELDS}
    return _Entry({"id": address.pk}, flags, text)


def _block_apply(entries: list[_Entry], values: dict, flag: str) -> int:
    """Put one block's values where they belong; return the index of the item holding them."""
    target = next((entry for entry in entries if flag in entry.flags), None)
    if target is not None and len(target.flags) == 1:
        target.item.update(values)
        target.text.update(values)
        return entries.index(target)
    text = dict(target.text) if target is not None else {}
    if target is not None:  # shared with the other block: that one keeps it
        target.item[flag] = False
        target.flags.discard(flag)
    text.update(values)
    item = {**text, flag: True}
    if target is not None:
        item[FLAGS[flag]] = False
    entries.append(_Entry(item, {flag}, text))
    return len(entries) - 1


def addresses_for(stored: list, *, billing: dict, shipping: dict) -> tuple[list[dict], dict]:
    """Patron's `addresses` list for the stored addresses with the blocks sent (Patron's
    names), and {item index: {Patron name: XML name}} to name an item's errors."""
    entries = [_stored_entry(address) for address in stored]
    blocks = {}
    for values, flag, fields in (
        (billing, "is_billing", BILLING_FIELDS),
        (shipping, "is_default", SHIPPING_FIELDS),
    ):
        if values:
            index = _block_apply(entries, values, flag)
            blocks[index] = {name: xml for xml, name in fields.items()}
    return [entry.item for entry in entries], blocks

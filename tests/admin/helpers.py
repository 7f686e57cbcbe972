from django.urls import reverse

from customers.admin import ADDRESS_FIELDS

CUSTOMERS = reverse("admin:customers_customer_changelist")
CUSTOMER_ADD = reverse("admin:customers_customer_add")


def customer_change_url(customer) -> str:
    return reverse("admin:customers_customer_change", args=[customer.pk])


def _inline_management(prefix: str, forms: list[dict], initial: int) -> dict:
    data = {f"{prefix}-TOTAL_FORMS": str(len(forms)), f"{prefix}-INITIAL_FORMS": str(initial)}
    for index, form in enumerate(forms):
        for name, value in form.items():
            data[f"{prefix}-{index}-{name}"] = value
    return data


def customer_form(customer=None, *, addresses=(), memberships=(), **changes) -> dict:
    """The POST body of the customer change (or add) page, with the given changes."""
    data = {
        "email": "new@example.com",
        "first_name": "",
        "last_name": "",
        "company": "",
        "phone": "",
        "phone_secondary": "",
        "identification": "",
        "note": "",
        "status": "active",
        "gender": "unknown",
        "user_type": "registered",
        "date_of_birth": "",
        "date_joined_0": "2024-01-01",
        "date_joined_1": "10:00:00",
        "discount_percent": "0",
        "preferred_shipping_method": "",
        "erp_code": "",
        "channel_code": "",
        "attributes": "{}",
        "extra_field": "{}",
    }
    if customer is not None:
        for name in list(data):
            if name in ("date_joined_0", "date_joined_1"):
                continue
            value = getattr(customer, name)
            if isinstance(value, bool):
                continue
            data[name] = "{}" if value == {} else ("" if value is None else str(value))
        for name in ("email_allowed", "sms_allowed", "call_allowed"):
            if getattr(customer, name):
                data[name] = "on"
    initial_addresses = [a for a in addresses if a.get("id")]
    data.update(_inline_management("addresses", list(addresses), len(initial_addresses)))
    initial_memberships = [m for m in memberships if m.get("id")]
    data.update(_inline_management("memberships", list(memberships), len(initial_memberships)))
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def address_form(address=None, **changes) -> dict:
    data = {name: "" for name in ADDRESS_FIELDS if name not in ("is_default", "is_billing")}
    if address is not None:
        data.update({name: getattr(address, name) for name in data})
        data["id"] = str(address.pk)
        data["customer"] = str(address.customer_id)
        for flag in ("is_default", "is_billing"):
            if getattr(address, flag):
                data[flag] = "on"
    data.update(changes)
    return data

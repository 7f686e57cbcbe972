"""Kibo's customer search (`/customer/?customerID=...`) over Patron's customer filters.

Kibo's parameter names are mapped onto customers.filters.CustomerFilterSet (the native list's
filters, with their checks); its errors are answered in Kibo's names. Each customer comes
with what the search answer shows (addresses, recent orders), one query per relation.
"""

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from rest_framework import exceptions

from config.filtering import filter_values_check
from customers.filters import CustomerFilterSet
from customers.models import Channel, Customer
from customers.selectors import customer_list_for_api

# Kibo's search parameter → the native filter it is.
SEARCH_FILTERS = {
    "customerID": "id",
    "email": "email",
    "firstName": "first_name",
    "lastName": "last_name",
    "phone": "phone",
}
PAGE, PAGE_SIZE = "page", "pageSize"
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 50, 200
MAX_PAGE = 1_000_000_000  # keeps the offset within a 64-bit integer
INVALID_PAGE = f"Must be a whole number from 1 to {MAX_PAGE}."
INVALID_PAGE_SIZE = f"Must be a whole number from 1 to {MAX_PAGE_SIZE}."
SEARCH_PARAMS = {
    "customerID": (OpenApiTypes.INT, "The customer with this id."),
    "email": (OpenApiTypes.STR, "The customer with this e-mail (any case)."),
    "firstName": (OpenApiTypes.STR, "Customers with this first name."),
    "lastName": (OpenApiTypes.STR, "Customers with this last name."),
    "phone": (OpenApiTypes.STR, "Customers with this phone number."),
    PAGE: (OpenApiTypes.INT, "Page of the collection, from 1 (customers ordered by id)."),
    PAGE_SIZE: (OpenApiTypes.INT, f"Customers a page, 1 to {MAX_PAGE_SIZE} (default 50)."),
}
# What a search row shows, loaded for the whole page at once.
_ROW_RELATIONS = {"expand": {"recent_orders", "recent_addresses", "phones"}}


def _whole_number(params, name: str, default: int, high: int, message: str) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise exceptions.ValidationError({name: [message]}) from None
    if not 1 <= value <= high:
        raise exceptions.ValidationError({name: [message]})
    return value


def _filtered(customers: QuerySet[Customer], params) -> QuerySet[Customer]:
    data = {native: params[kibo] for kibo, native in SEARCH_FILTERS.items() if kibo in params}
    filterset = CustomerFilterSet(data=data, queryset=customers)
    kibo_names = {native: kibo for kibo, native in SEARCH_FILTERS.items()}
    errors = dict(filterset.errors) if not filterset.is_valid() else {}
    errors = errors or filter_values_check(filterset.form.cleaned_data)
    if errors:
        raise exceptions.ValidationError(
            {kibo_names.get(name, name): list(messages) for name, messages in errors.items()}
        )
    return filterset.qs


def customer_search(*, user, channel: Channel, params) -> list[Customer]:
    """The page of the channel's customers matching Kibo's search parameters, by id.

    Raises a 400 ValidationError naming the Kibo parameter at fault.
    """
    page = _whole_number(params, PAGE, 1, MAX_PAGE, INVALID_PAGE)
    size = _whole_number(params, PAGE_SIZE, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, INVALID_PAGE_SIZE)
    customers = customer_list_for_api(user=user, fields={"addresses"}, **_ROW_RELATIONS)
    customers = _filtered(customers.filter(channel=channel), params).order_by("id")
    offset = (page - 1) * size
    return list(customers[offset : offset + size])

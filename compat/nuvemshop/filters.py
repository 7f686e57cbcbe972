"""The list's query parameters that filter: Nuvemshop's, taken from Patron's customer filters."""

from customers.filters import CustomerFilterSet

FILTERS = (
    "since_id",
    "created_at_min",
    "created_at_max",
    "updated_at_min",
    "updated_at_max",
    "q",
)


class NuvemshopCustomerFilterSet(CustomerFilterSet):
    """Only the filters of Nuvemshop's GET /customers, with the native API's meaning (bounds
    inclusive, `q` in names, e-mail, identification and phone, `since_id` paging by id)."""

    keyed_params = ()

    @classmethod
    def get_filters(cls):
        return {name: f for name, f in super().get_filters().items() if name in FILTERS}

"""Nuvemshop's paging: `page` and `per_page` (max 200), a bare JSON array, a Link header."""

from config.rest import PagePagination


class NuvemshopPagination(PagePagination):
    """Patron's page pagination (its Link and X-Total-Count headers, its since_id keyset),
    answering the page's array without the envelope, as Nuvemshop does."""

    # Nuvemshop's default page size; its maximum is Patron's, 200.
    page_size = 30

    def paginate_queryset(self, queryset, request, view=None):
        rows = super().paginate_queryset(queryset, request, view)
        self.last_id = rows[-1].pk if rows else None
        return rows

    def _links(self, results, last_id=None):
        # The next since_id comes from the rows: `fields=` may leave `id` out of the answer.
        if self.keyset:
            results = [] if self.last_id is None else [{"id": self.last_id}]
        return super()._links(results, last_id)

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data = data
        return response

    def get_paginated_response_schema(self, schema):
        return schema

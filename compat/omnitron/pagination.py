"""Omnitron's paging: `page` and `limit`, answered as {count, next, previous, results}."""

from collections import OrderedDict

from rest_framework import exceptions

from config.pagination import EXACT_COUNT_LIMIT
from config.rest import PagePagination

INVALID_LIMIT = "limit must be a whole number from 1 to {max}."


class OmnitronPagination(PagePagination):
    """Patron's page pagination with Omnitron's names: `limit` for the page size, and the body
    without `count_is_estimate` (an estimated total still says so in the
    X-Total-Count-Estimate header)."""

    page_size_param = "limit"
    # Omnitron has no keyset cursor; its lists take no since_id.
    cursor_param = None

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        return super().paginate_queryset(queryset, request, view)

    def _per_page(self, raw):
        raw = self.request.query_params.get(self.page_size_param)
        if raw is None:
            return self.page_size
        message = {self.page_size_param: [INVALID_LIMIT.format(max=self.max_page_size)]}
        text = raw.strip()
        if not (text.isascii() and text.isdigit() and len(text) < 6) or not (
            1 <= int(text) <= self.max_page_size
        ):
            raise exceptions.ValidationError(message)
        return int(text)

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        body = response.data
        response.data = OrderedDict(
            (key, body[key]) for key in ("count", "next", "previous", "results")
        )
        return response

    def get_paginated_response_schema(self, schema):
        paged = super().get_paginated_response_schema(schema)
        paged["properties"].pop("count_is_estimate")
        paged["required"] = ["count", "results"]
        paged["properties"]["count"] = {
            "type": "integer",
            "example": 123,
            "description": f"Matching rows (above {EXACT_COUNT_LIMIT:,} on PostgreSQL possibly "
            "an estimate: then the header X-Total-Count-Estimate is true).",
        }
        return paged

    def get_schema_operation_parameters(self, view):
        page, per_page = super().get_schema_operation_parameters(view)
        return [page, {**per_page, "name": self.page_size_param}]

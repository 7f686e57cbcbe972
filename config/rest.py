"""Project-wide DRF building blocks: pagination, permissions, ordering, sparse fields.

Nothing here may import rest_framework.views: DRF imports this module while loading it.
"""

from collections import OrderedDict
from urllib.parse import urlencode

from rest_framework import exceptions, permissions, serializers
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import BasePagination
from rest_framework.response import Response

INVALID_PAGE = "Page must be a whole number from 1."
INVALID_PER_PAGE = "per_page must be a whole number from 1 to {max}."
PAGE_OUT_OF_RANGE = "Invalid page."
UNKNOWN_ORDERING = "Unknown ordering field(s): {fields}. Allowed: {allowed}."
UNKNOWN_FIELDS = "Unknown field(s): {fields}."
SCOPED_CHANNEL_CREATE = "A user limited to some channels cannot create channels."
GROUP_HAS_HIDDEN_MEMBERS = (
    "This group has members in channels you cannot see; only an unrestricted user may delete it."
)


def _positive_int(raw, message):
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise exceptions.ValidationError(message) from None
    if value < 1:
        raise exceptions.ValidationError(message)
    return value


class PagePagination(BasePagination):
    """`page` + `per_page` pagination; `since_id` requests page by keyset and skip the total.

    Responses carry `X-Total-Count` (when counted) and an RFC 8288 `Link` header.
    """

    page_size = 50
    max_page_size = 200
    cursor_param = "since_id"

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        params = request.query_params
        self.per_page = self._per_page(params.get("per_page"))
        self.keyset = self.cursor_param in params
        if self.keyset:
            rows = list(queryset[: self.per_page + 1])
            self.has_next = len(rows) > self.per_page
            self.count = None
            self.page = None
            return rows[: self.per_page]
        self.page = _positive_int(params.get("page", 1), {"page": [INVALID_PAGE]})
        self.count = queryset.count()
        self.last_page = max(1, -(-self.count // self.per_page))
        if self.page > self.last_page:
            raise exceptions.NotFound(PAGE_OUT_OF_RANGE)
        offset = (self.page - 1) * self.per_page
        rows = list(queryset[offset : offset + self.per_page])
        self.has_next = self.page < self.last_page
        return rows

    def _per_page(self, raw):
        if raw is None:
            return self.page_size
        message = {"per_page": [INVALID_PER_PAGE.format(max=self.max_page_size)]}
        value = _positive_int(raw, message)
        if value > self.max_page_size:
            raise exceptions.ValidationError(message)
        return value

    def _url(self, **changes):
        params = self.request.query_params.copy()
        for key, value in changes.items():
            params[key] = value
        base = self.request.build_absolute_uri(self.request.path)
        return f"{base}?{urlencode(sorted(params.lists()), doseq=True)}"

    def _links(self, results):
        if self.keyset:
            links = {"first": self._url(**{self.cursor_param: 0})}
            if self.has_next and results:
                last_id = results[-1]["id"] if isinstance(results[-1], dict) else None
                if last_id is not None:
                    links["next"] = self._url(**{self.cursor_param: last_id})
            return links
        links = {"first": self._url(page=1)}
        if self.page > 1:
            links["prev"] = self._url(page=self.page - 1)
        if self.has_next:
            links["next"] = self._url(page=self.page + 1)
        links["last"] = self._url(page=self.last_page)
        return links

    def get_paginated_response(self, data):
        links = self._links(data)
        body = OrderedDict(
            count=self.count, next=links.get("next"), previous=links.get("prev"), results=data
        )
        headers = {"Link": ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links.items())}
        if self.count is not None:
            headers["X-Total-Count"] = str(self.count)
        return Response(body, headers=headers)

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["count", "results"],
            "properties": {
                "count": {"type": "integer", "nullable": True, "example": 123},
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": "page",
                "required": False,
                "in": "query",
                "description": "Page number, from 1.",
                "schema": {"type": "integer", "minimum": 1},
            },
            {
                "name": "per_page",
                "required": False,
                "in": "query",
                "description": f"Results per page (default {self.page_size}, "
                f"max {self.max_page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]


class ModelPermissions(permissions.DjangoModelPermissions):
    """Django model permissions, with reads needing the `view` permission too."""

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }


class ChannelPermission(ModelPermissions):
    """Model permissions; a user limited to some channels may not create new ones.

    A channel it created would lie outside its own scope, so it could not even see it.
    """

    message = SCOPED_CHANNEL_CREATE

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        if request.method != "POST":
            return True
        from customers.selectors import user_is_channel_scoped

        return not user_is_channel_scoped(request.user)


class GroupPermission(ModelPermissions):
    """Model permissions; a user limited to some channels may not delete a group that other
    channels' customers belong to (deleting it would end their memberships too)."""

    message = GROUP_HAS_HIDDEN_MEMBERS

    def has_object_permission(self, request, view, obj):
        if request.method != "DELETE":
            return True
        from groups.selectors import group_has_hidden_members

        return not group_has_hidden_members(group=obj, user=request.user)


class StrictOrderingFilter(OrderingFilter):
    """`ordering=` that answers 400 for a field it does not know instead of ignoring it."""

    def get_ordering(self, request, queryset, view):
        params = request.query_params.get(self.ordering_param)
        if not params:
            return self.get_default_ordering(view)
        fields = [param.strip() for param in params.split(",") if param.strip()]
        allowed = {name for name, _ in self.get_valid_fields(queryset, view, {"request": request})}
        unknown = [field for field in fields if field.lstrip("-") not in allowed]
        if unknown:
            message = UNKNOWN_ORDERING.format(
                fields=", ".join(unknown), allowed=", ".join(sorted(allowed))
            )
            raise exceptions.ValidationError({self.ordering_param: [message]})
        return fields


def requested_fields(request) -> set[str] | None:
    """The `fields=` subset asked for, or None for the whole representation."""
    if request is None:
        return None
    raw = request.query_params.get("fields")
    if not raw:
        return None
    return {name.strip() for name in raw.split(",") if name.strip()}


class SparseFieldsMixin(serializers.Serializer):
    """Drops the fields a `fields=` query parameter did not ask for (on output only)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is None or request.method != "GET" or self.parent is not None:
            return
        wanted = requested_fields(request)
        if wanted is None:
            return
        unknown = wanted - set(self.fields)
        if unknown:
            message = UNKNOWN_FIELDS.format(fields=", ".join(sorted(unknown)))
            raise exceptions.ValidationError({"fields": [message]})
        for name in set(self.fields) - wanted:
            self.fields.pop(name)

"""List pages and details whose JSON PostgreSQL writes: each row's object in the page's own
statement, from the viewset's serializer (config.json_rows), the bytes its serializer's path
answers; anything the rules cannot write exactly falls back to that path."""

import orjson
from django.db import connections
from django.db.models import TextField
from django.db.models.expressions import RawSQL
from rest_framework import exceptions

from config.json_rows import (
    JsonValueNotExact,
    cached_row_parts,
    json_column_fills,
    rows_json,
)
from config.rest import FastJSONRenderer, PagePagination, WrittenJSON, requested_fields
from config.values import INT64_MAX

# json_rows_queryset's rows: (id, version, *the JSON's parts).
ROW_PARTS_START = 2


def is_id(value) -> bool:
    """Whether a URL's lookup value is a primary key PostgreSQL can compare (a bigint)."""
    text = str(value)
    return text.isascii() and text.isdigit() and int(text) <= INT64_MAX


def json_rows_queryset(queryset, parts: list) -> object:
    """The rows (filtered and ordered) as (pk, version, *parts) tuples: each part an SQL text
    expression of config.json_rows.row_parts over the model's table by its own name."""
    columns = {
        f"json_part_{n}": RawSQL(getattr(part, "sql", part), [], TextField())
        for n, part in enumerate(parts)
    }
    return (
        queryset.prefetch_related(None).annotate(**columns).values_list("pk", "version", *columns)
    )


class WrittenRowsMixin:
    """A viewset's list pages and details written by PostgreSQL where that gives its
    serializer's bytes (`list_written_by_database`, `detail_written_by_database`; None
    otherwise, and `list` and `retrieve` take the serializer's own path). The model needs a
    `version` column (the detail's ETag)."""

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        written = self.list_written_by_database(queryset)
        return written if written is not None else self.list_serialized(queryset)

    def list_serialized(self, queryset):
        """The page by the serializer's own path, where the database does not write it (a
        viewset may read it its own way)."""
        return super().list(self.request, *self.args, **self.kwargs)

    def retrieve(self, request, *args, **kwargs):
        written = self.detail_written_by_database()
        return written if written is not None else super().retrieve(request, *args, **kwargs)

    def written_fields(self) -> set[str] | None:
        """The `fields=` subset the serializer keeps: on GET only (HEAD answers every field)."""
        return requested_fields(self.request) if self.request.method == "GET" else None

    def written_fields_key(self) -> tuple:
        """What decides the serializer's fields; a viewset whose serializer reads more of
        the request (CustomerViewSet's `expand`) adds it."""
        fields = self.written_fields()
        return (self.get_serializer_class(), None if fields is None else frozenset(fields))

    def list_written_by_database(self, queryset):
        """The page with each row's JSON written by PostgreSQL, or None (written_row_parts)."""
        parts = self.written_row_parts(queryset)
        if parts is None:
            return None
        page = self.paginator.paginate_queryset(
            json_rows_queryset(queryset, parts), self.request, view=self, total_in_page=True
        )
        try:
            rows = b",".join(self._rows_json(page, parts))
        except JsonValueNotExact:
            return None
        response = self.paginator.get_paginated_response(
            orjson.Fragment(b"[" + rows + b"]"), last_id=page[-1][0] if page else None
        )
        response.data = WrittenJSON(response.data)
        return response

    def detail_written_by_database(self):
        """The row's JSON written by PostgreSQL in one statement, or None (written_row_parts;
        a row not found is answered by get_object)."""
        pk = self.kwargs.get(self.lookup_url_kwarg or self.lookup_field)
        if self.lookup_field != "pk" or not is_id(pk):
            return None
        queryset = self.filter_queryset(self.get_queryset()).filter(pk=int(pk))
        parts = self.written_row_parts(queryset)
        if parts is None:
            return None
        rows = list(json_rows_queryset(queryset, parts))
        if len(rows) != 1:
            return None
        self.check_object_permissions(self.request, rows[0])
        try:
            body = WrittenJSON(orjson.Fragment(self._rows_json(rows, parts)[0]))
        except JsonValueNotExact:
            return None
        return self.conditional_response(rows[0][1], lambda: body)

    def _rows_json(self, rows, parts):
        fills = json_column_fills(parts)
        context = {"request": self.request}
        return rows_json(rows, start=ROW_PARTS_START, fills=fills, context=context)

    def written_row_parts(self, queryset):
        """Parts writing each row's JSON (config.json_rows), or None where the answer would
        not be the serializer's: another database, a renderer other than compact JSON (the
        browsable API, ?format=api, indent), a field without an exact SQL rule (a datetime
        in a zone other than UTC), or a `fields=` error (the serializer's path reports it
        after the paging parameters' errors). A JSON value orjson would not write as the
        serializer's path does is found later (JsonValueNotExact)."""
        request = self.request
        renderer = getattr(request, "accepted_renderer", None)
        connection = connections[queryset.db]
        if (
            connection.vendor != "postgresql"
            or type(self.paginator) is not PagePagination
            or type(renderer) is not FastJSONRenderer
            or renderer.get_indent(request.accepted_media_type, self.get_renderer_context())
        ):
            return None
        table = connection.ops.quote_name(queryset.model._meta.db_table)
        try:
            return cached_row_parts(self.written_fields_key(), self.get_serializer, table)
        except exceptions.ValidationError:
            return None

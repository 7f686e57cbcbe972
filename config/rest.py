"""Project-wide DRF building blocks: pagination, permissions, ordering, sparse fields, strict
input.

Nothing here may import rest_framework.views: DRF imports this module while loading it.
Nothing here may import the apps either (customers, groups, orders): they build on this
module, so an app's own rule (like ChannelPermission) lives in that app's api package.
"""

import copy
import datetime
import functools
import json
import time
from collections import OrderedDict
from collections.abc import Mapping
from operator import attrgetter
from urllib.parse import urlencode

import orjson
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import BigIntegerField
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _
from rest_framework import ISO_8601, exceptions, permissions, serializers
from rest_framework.fields import SkipField
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import BasePagination
from rest_framework.relations import PKOnlyObject
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.encoders import JSONEncoder

from config.json_rows import floats_written_unlike_python
from config.pagination import ESTIMATE_TRUSTED, EXACT_COUNT_LIMIT
from config.unknown_names import unknown_fields

INVALID_PAGE = _("Page must be a whole number from 1.")
INVALID_PER_PAGE = _("per_page must be a whole number from 1 to {max}.")
PAGE_OUT_OF_RANGE = _("Invalid page.")
UNKNOWN_ORDERING = _("Unknown ordering field(s): {fields}. Allowed: {allowed}.")
UNKNOWN_FIELDS = _("Unknown field(s): {fields}.")


class FastJSONRenderer(JSONRenderer):
    """DRF's JSONRenderer output, byte for byte, written by orjson.

    Serializers hand over strings, numbers, lists and dicts, which orjson writes exactly as
    DRF's compact, UTF-8 settings do, floats included but for the forms orjson writes its own
    way (config.json_rows.floats_written_unlike_python: DRF writes those bodies). Anything
    else (datetimes, lazy strings, big integers) goes through DRF's own encoder; an indented
    (browsable) response uses DRF's renderer.
    """

    options = (
        orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
    )

    def render(self, data, accepted_media_type=None, renderer_context=None):
        indent = self.get_indent(accepted_media_type, renderer_context or {})
        given = data
        if isinstance(data, WrittenJSON):
            data = dict(data) if indent else data.written
        if data is None or indent:
            return self._drf_render(data, accepted_media_type, renderer_context)
        try:
            body = orjson.dumps(data, default=JSONEncoder().default, option=self.options)
        except (TypeError, orjson.JSONEncodeError):
            return self._drf_render(data, accepted_media_type, renderer_context)
        # A WrittenJSON's JSON values were checked one by one as they were written (row_json),
        # and the rest of such a body holds no float: no scan of the whole page.
        if not isinstance(given, WrittenJSON) and floats_written_unlike_python(body):
            return self._drf_render(data, accepted_media_type, renderer_context)
        # Like DRF: escape the two line separators that JavaScript strings cannot hold.
        if b"\xe2\x80\xa8" in body or b"\xe2\x80\xa9" in body:
            body = body.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
        return body

    def _drf_render(self, data, accepted_media_type, renderer_context):
        """DRF's rendering; text that is not UTF-8 (a lone surrogate quoted by an error
        message) is written as JSON escapes ("\\ud800") instead of failing the answer."""
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            self.ensure_ascii = True
            return super().render(data, accepted_media_type, renderer_context)


class WrittenJSON(Mapping):
    """An answer's body holding JSON text already written (orjson.Fragment values, such as a
    list page's rows written by the database): FastJSONRenderer writes that text as it is;
    Python readers (response.data, the ETag check, tests) see the body parsed. Its text holds
    no float written otherwise than Python writes it (config.json_rows.row_json refuses one),
    and the rest of the body none at all (counts and links)."""

    def __init__(self, written: dict):
        self.written = written

    @functools.cached_property
    def _parsed(self) -> dict:
        return orjson.loads(orjson.dumps(self.written))

    def __getitem__(self, key):
        return self._parsed[key]

    def __iter__(self):
        return iter(self._parsed)

    def __len__(self):
        return len(self._parsed)

    def __reduce__(self):
        # Copied or pickled as the parsed body: orjson's fragments cannot be.
        return (dict, (self._parsed,))


def queryset_unfiltered(queryset) -> bool:
    """Whether a queryset has no condition but its model's own listing rule (a model's
    `listed_queryset()`, such as customers not merged into another): few rows are left out
    by that rule, so the table's row estimate stands for it."""
    where = queryset.query.where
    if not where:
        return True
    listed = getattr(queryset.model, "listed_queryset", None)
    return listed is not None and where == listed().query.where


# A table's row count as VACUUM/ANALYZE last saw it (-1 or 0 before either has run).
_TABLE_ESTIMATE_SQL = "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass"


def _known(estimate: int | None) -> int | None:
    """A table estimate, or None when the table was never vacuumed or analyzed."""
    return estimate if estimate is not None and estimate > 0 else None


def planner_estimate(queryset) -> int | None:
    """PostgreSQL's estimate of the rows a queryset matches: the table's row count kept by
    VACUUM/ANALYZE when unfiltered, else the planner's row estimate (no rows are read), kept
    for ESTIMATE_KEPT_SECONDS per statement (_kept_plan_rows)."""
    with connections[queryset.db].cursor() as cursor:
        if queryset_unfiltered(queryset):
            cursor.execute(_TABLE_ESTIMATE_SQL, [queryset.model._meta.db_table])
            row = cursor.fetchone()
            return _known(row[0] if row else None)
        sql, params = queryset.order_by().values("pk").query.sql_with_params()
        return _kept_plan_rows(cursor, queryset.db, sql, tuple(params))


# A filtered list's estimate asked for again within this many seconds is answered from
# memory: it changes only with the statistics (ANALYZE), and asking costs the planner's work
# on the whole filter (2.3 ms for `q=dar` at a million customers: the search's selectivity is
# estimated against a 1,000-value histogram). Per process, bounded.
ESTIMATE_KEPT_SECONDS = 60
_ESTIMATES_KEPT = 512
_estimates: dict = {}


def estimates_forget() -> None:
    """Forget the kept estimates (tests: each test's data is its own)."""
    _estimates.clear()


def _kept_plan_rows(cursor, alias: str, sql: str, params: tuple) -> int | None:
    key = (alias, sql, params)
    try:
        kept = _estimates.get(key)
    except TypeError:  # an unhashable parameter (a list): not kept
        kept, key = None, None
    now = time.monotonic()
    if kept is not None and now - kept[1] < ESTIMATE_KEPT_SECONDS:
        return kept[0]
    cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
    plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    rows = int(plan[0]["Plan"]["Plan Rows"])
    estimate = rows if rows > 0 else None
    if key is not None:
        if len(_estimates) >= _ESTIMATES_KEPT:
            _estimates.clear()
        _estimates[key] = (estimate, now)
    return estimate


def _without_listing_rule(queryset):
    """The queryset without its model's listing rule (`listed_queryset()`'s conditions), or
    None when it does not hold that rule as conditions of its own or the model declares no
    `unlisted_queryset()`."""
    model = queryset.model
    listed = getattr(model, "listed_queryset", None)
    if listed is None or getattr(model, "unlisted_queryset", None) is None:
        return None
    where, rule = queryset.query.where, listed().query.where
    plain = all(node.connector == "AND" and not node.negated for node in (where, rule))
    if not plain or not rule.children or any(c not in where.children for c in rule.children):
        return None
    rest = queryset.all()
    rest.query.where.children = [c for c in where.children if c not in rule.children]
    return rest


def capped_count_sql(queryset, limit: int) -> tuple[str, list]:
    """SQL of the queryset's row count up to `limit` + 1 (more rows answer limit + 1).

    A filtered list of listed rows (customers not merged) is counted without the listing
    rule, minus the rows it leaves out: the rule would read the table for each row the
    filter's index finds (10,001 table reads for a large group), while those left out are
    few and indexed. Rows past the limit plus the left-out ones need not be counted."""
    rest = _without_listing_rule(queryset)
    if rest is None or not rest.query.where:
        sql, params = queryset.order_by().values("pk")[: limit + 1].query.sql_with_params()
        return f"SELECT COUNT(*) FROM ({sql}) capped", list(params)
    rest = rest.order_by().values("pk")
    left_out = rest & queryset.model.unlisted_queryset().order_by().values("pk")
    left_sql, left_params = left_out.query.sql_with_params()
    rest_sql, rest_params = rest.query.sql_with_params()
    # The left-out rows counted once and used twice: written twice, the filter was planned
    # twice (0.8 ms for `q=dar` at a million customers, whose word is estimated against a
    # 1,000-value histogram).
    sql = (
        f"SELECT (SELECT COUNT(*) FROM ({rest_sql} LIMIT %s + unlisted.n) capped) - unlisted.n"
        f" FROM (SELECT COUNT(*) AS n FROM ({left_sql}) left_out) unlisted"
    )
    return sql, [*rest_params, limit + 1, *left_params]


def _capped_count_and_table_estimate(queryset, limit: int) -> tuple[int | None, int | None]:
    """An unfiltered list's capped count and planner_estimate's table estimate, in one
    statement: the same two figures for one round trip instead of two. The count is None,
    and no row is read, when the estimate is trusted past the limit (_unless_estimated_past)."""
    sql, params = capped_count_sql(queryset, limit)
    table = queryset.model._meta.db_table
    counted_sql, counted_params = _unless_estimated_past(queryset, limit, sql, params)
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(f"SELECT {counted_sql}, ({_TABLE_ESTIMATE_SQL})", [*counted_params, table])
        counted, estimate = cursor.fetchone()
    return counted, _known(estimate)


def _unless_estimated_past(queryset, limit: int, capped: str, params: list) -> tuple[str, list]:
    """SQL of an unfiltered list's capped count that is NULL, without reading a row, when the
    table's estimate is past ESTIMATE_TRUSTED times the limit and fewer than `limit` rows are
    left out by the listing rule (customers merged into others, counted up to the limit on
    their index): the listed rows are then past the limit too, unless the statistics are
    stale. PostgreSQL runs the count's subquery only when the CASE reaches it. At 200,000
    customers the count of 10,001 rows was 0.9 of the list page statement's 2.8 ms
    (bench/RESULTS.md, "Reads' fixed cost, sixth pass")."""
    table = queryset.model._meta.db_table
    trusted, trusted_params = f"({_TABLE_ESTIMATE_SQL}) > %s", [table, ESTIMATE_TRUSTED * limit]
    unlisted = getattr(queryset.model, "unlisted_queryset", None)
    if unlisted is not None:
        left_sql, left_params = unlisted().order_by().values("pk")[:limit].query.sql_with_params()
        trusted += f" AND (SELECT COUNT(*) FROM ({left_sql}) unlisted) < %s"
        trusted_params += [*left_params, limit]
    sql = f"CASE WHEN {trusted} THEN NULL ELSE ({capped}) END"
    return sql, [*trusted_params, *params]


def _ordered_by_pk(queryset) -> bool:
    pk = queryset.model._meta.pk
    return tuple(queryset.query.order_by) in {("pk",), (pk.name,), (pk.attname,)}


def listed_span_ids(queryset, offset: int, size: int) -> RawSQL | None:
    """SQL of a deep page's ids for a list with no condition but its model's listing rule,
    in primary key order, on PostgreSQL: read from the primary key index alone, or None.

    The listing rule (not merged, for customers) reads the table for each row before the
    page: 250,000 rows read for page 5,000 of 50. The rows the rule leaves out
    (`unlisted_queryset()`) are few, so the page is a span of every id, index-only: as many
    rows longer as there are left-out ones, which are then taken out, and shifted by the
    left-out ids before it.
    """
    model = queryset.model
    unlisted = getattr(model, "unlisted_queryset", None)
    if (
        unlisted is None
        or connections[queryset.db].vendor != "postgresql"
        or not queryset.query.where
        or not queryset_unfiltered(queryset)
        or not _ordered_by_pk(queryset)
        or queryset.query.distinct
    ):
        return None
    ops = connections[queryset.db].ops
    table, pk = ops.quote_name(model._meta.db_table), ops.quote_name(model._meta.pk.column)
    left_out, params = unlisted().order_by().values("pk").query.sql_with_params()
    sql = (
        f"WITH unlisted(id) AS ({left_out}),"
        f" span(id) AS (SELECT {pk} FROM {table} ORDER BY {pk}"
        " LIMIT %s + (SELECT count(*) FROM unlisted) OFFSET %s)"
        " SELECT id FROM span WHERE id NOT IN (SELECT id FROM unlisted) ORDER BY id"
        " LIMIT %s OFFSET (SELECT count(*) FROM unlisted WHERE id < (SELECT min(id) FROM span))"
    )
    return RawSQL(sql, [*params, size, offset, size])


def _capped_count(queryset, limit: int) -> int:
    try:
        sql, params = capped_count_sql(queryset, limit)
    except EmptyResultSet:
        return 0
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


# The largest OFFSET PostgreSQL and SQLite take (a signed 64-bit integer).
_LARGEST_OFFSET = 2**63 - 1


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

    Responses carry `X-Total-Count` (when counted), `X-Total-Count-Estimate: true` (when that
    total is an estimate, also `count_is_estimate` in the body) and an RFC 8288 `Link` header.
    """

    page_size = 50
    max_page_size = 200
    cursor_param = "since_id"
    # On PostgreSQL an exact count reads every matching row (28 ms for a million): rows are
    # counted up to `exact_count_limit`, and a larger total is the planner's estimate (never
    # below the rows counted or seen). A last page's total is always exact.
    exact_count_limit = EXACT_COUNT_LIMIT
    # From this offset on, the page's ids are found first (an index-only scan) and only those
    # rows are read, instead of reading and discarding every row before the page.
    deferred_offset = 1_000

    def paginate_queryset(self, queryset, request, view=None, *, total_in_page=False):
        """The page's rows. `total_in_page`: on PostgreSQL, the total is read in the page's
        own statement (rows are values_list tuples; see _page_with_total)."""
        self.request = request
        params = request.query_params
        self.per_page = self._per_page(params.get("per_page"))
        self.keyset = self.cursor_param in params
        self.estimated = False
        if self.keyset:
            rows = list(queryset[: self.per_page + 1])
            self.has_next = len(rows) > self.per_page
            self.count = None
            self.page = None
            return rows[: self.per_page]
        self.page = _positive_int(params.get("page", 1), {"page": [str(INVALID_PAGE)]})
        if self.page * self.per_page >= _LARGEST_OFFSET:
            # No table holds that many rows, and the databases refuse such an OFFSET.
            raise exceptions.NotFound(PAGE_OUT_OF_RANGE)
        if total_in_page and connections[queryset.db].vendor == "postgresql":
            return self._page_with_total(queryset)
        self.count, exact = self._count(queryset)
        offset = (self.page - 1) * self.per_page
        if exact:
            self.last_page = max(1, -(-self.count // self.per_page))
            if self.page > self.last_page:
                raise exceptions.NotFound(PAGE_OUT_OF_RANGE)
            self.has_next = self.page < self.last_page
            return self._rows(queryset, offset, self.per_page)
        return self._page_of_estimate(self._rows(queryset, offset, self.per_page + 1), offset)

    def _page_of_estimate(self, rows: list, offset: int) -> list:
        """The page, from its rows and one more, when self.count is an estimate.

        An estimate may be off either way: the page itself tells whether it exists, and the
        extra row whether a next page does; the total never says less than the rows seen,
        and the last page knows the exact total (the rows before it and its own)."""
        self.has_next = len(rows) > self.per_page
        rows = rows[: self.per_page]
        if not rows and self.page > 1:
            raise exceptions.NotFound(PAGE_OUT_OF_RANGE)
        seen = offset + len(rows)
        self.estimated = self.has_next
        self.count = max(self.count, seen + 1) if self.has_next else seen
        self.last_page = max(self.page, -(-self.count // self.per_page))
        return rows

    def _page_with_total(self, queryset) -> list:
        """paginate_queryset's page with the total read in the page's own statement: the
        capped count (and an unfiltered list's table estimate) as columns of every row, one
        round trip instead of two. The rows are values_list tuples; one more than the page
        is read, so the page itself tells whether a next one exists. A page without rows
        needs no total: page 1 has none, a later page is past the end."""
        offset = (self.page - 1) * self.per_page
        limit = self.exact_count_limit
        try:
            capped, params = capped_count_sql(queryset, limit)
        except EmptyResultSet:  # a filter no row can match (`id__in=[]`): an empty page
            if self.page > 1:
                raise exceptions.NotFound(PAGE_OUT_OF_RANGE) from None
            self.count, self.last_page, self.has_next = 0, 1, False
            return []
        unfiltered = queryset_unfiltered(queryset)
        if unfiltered:
            capped, params = _unless_estimated_past(queryset, limit, capped, params)
        totals = {"page_total_capped": RawSQL(capped, params, output_field=BigIntegerField())}
        if unfiltered:
            totals["page_total_estimate"] = RawSQL(
                _TABLE_ESTIMATE_SQL, [queryset.model._meta.db_table], output_field=BigIntegerField()
            )
        rows = self._rows(queryset.annotate(**totals), offset, self.per_page + 1)
        if not rows:
            if self.page > 1:
                raise exceptions.NotFound(PAGE_OUT_OF_RANGE)
            self.count, self.last_page, self.has_next = 0, 1, False
            return []
        counted = rows[0][-len(totals)]
        estimate = _known(rows[0][-1]) if unfiltered else None
        rows = [row[: -len(totals)] for row in rows]
        if not unfiltered and counted > limit:
            estimate = planner_estimate(queryset)
        self.count, exact = self._total(counted, estimate)
        if not exact:
            return self._page_of_estimate(rows, offset)
        self.has_next = len(rows) > self.per_page
        self.last_page = max(1, -(-self.count // self.per_page))
        return rows[: self.per_page]

    def _rows(self, queryset, offset: int, size: int) -> list:
        if offset < self.deferred_offset:
            return list(queryset[offset : offset + size])
        ids = listed_span_ids(queryset, offset, size)
        if ids is None:
            ids = queryset.values("pk")[offset : offset + size]
        return list(queryset.filter(pk__in=ids))

    def _count(self, queryset) -> tuple[int, bool]:
        """Return (total, exact): exact up to exact_count_limit, else the planner's estimate
        (never below the rows counted, _total)."""
        if connections[queryset.db].vendor != "postgresql":
            return queryset.count(), True
        limit = self.exact_count_limit
        if not queryset_unfiltered(queryset):
            counted = _capped_count(queryset, limit)
            estimate = planner_estimate(queryset) if counted > limit else None
        else:
            counted, estimate = _capped_count_and_table_estimate(queryset, limit)
        return self._total(counted, estimate)

    def _total(self, counted: int | None, estimate: int | None) -> tuple[int, bool]:
        """(total, exact) from a count capped at exact_count_limit + 1 and an estimate of the
        rows: the count when under the cap; else the estimate, never below the rows counted;
        the estimate alone when it was trusted past the cap and nothing was counted (None).

        An estimate below them (statistics older than the data, or a planner's guess short
        of a common word) gives way to the rows counted, still flagged: a lower bound. No
        row past the cap is read: an exact count of a set its estimate misjudges costs with
        the set (10,706 rows read a second time for `q=dar` at a million customers, every
        matching row for a large one) and could run into the statement timeout."""
        if counted is None:
            return estimate, False
        if counted <= self.exact_count_limit:
            return counted, True
        return max(counted, estimate or 0), False

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

    def _links(self, results, last_id=None):
        if self.keyset:
            links = {"first": self._url(**{self.cursor_param: 0})}
            if self.has_next and results:
                if last_id is None and isinstance(results, list):
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

    def get_paginated_response(self, data, *, last_id=None):
        """The page's answer; `last_id` is the id of its last row when `data` does not show
        it (rows already written as JSON)."""
        links = self._links(data, last_id)
        body = OrderedDict(
            count=self.count,
            count_is_estimate=self.estimated,
            next=links.get("next"),
            previous=links.get("prev"),
            results=data,
        )
        headers = {"Link": ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links.items())}
        if self.count is not None:
            headers["X-Total-Count"] = str(self.count)
        if self.estimated:
            headers["X-Total-Count-Estimate"] = "true"
        return Response(body, headers=headers)

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["count", "count_is_estimate", "results"],
            "properties": {
                "count": {
                    "type": "integer",
                    "nullable": True,
                    "example": 123,
                    "description": f"Matching rows: exact up to {self.exact_count_limit:,}, "
                    "above that on PostgreSQL possibly the planner's estimate (see "
                    "count_is_estimate); null when paging with since_id.",
                },
                "count_is_estimate": {
                    "type": "boolean",
                    "description": "true when `count` is an estimate (also the header "
                    "X-Total-Count-Estimate: true).",
                },
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def query_param_names(self, view) -> set[str]:
        """The query parameters paging reads (config.query_params): the ones it documents.

        `since_id` is the FilterSet's (it filters and orders by id); a list without that
        filter does not take it.
        """
        return {parameter["name"] for parameter in self.get_schema_operation_parameters(view)}

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

    def query_param_names(self, view) -> set[str]:
        """The query parameter ordering reads (config.query_params)."""
        return {self.ordering_param}


def errors_nest(errors: dict[str, list[str]]) -> dict:
    """Dotted error keys as DRF nests them: "addresses.1.city" → {"addresses": [{}, {"city":
    [...]}]}; the row-wide "" key and a list item's own messages ("addresses.1", e.g. an item
    that is not an object) → "non_field_errors", so every list entry is an object.

    Messages for an object that has field errors too (an item refused whole, an unknown
    field whose name holds a dot) go under that object's "non_field_errors" as well."""
    whole = api_settings.NON_FIELD_ERRORS_KEY
    nested: dict = {}
    for key, messages in errors.items():
        parts = key.split(".") if key else []
        if not parts or parts[-1].isdigit():
            parts.append(whole)
        node = nested
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {} if child is None else {whole: child}
            node = child
        if isinstance(node.get(parts[-1]), dict):
            node[parts[-1]][whole] = messages
        else:
            node[parts[-1]] = messages
    return _lists_from_indexes(nested)


def _lists_from_indexes(node):
    if not isinstance(node, dict):
        return node
    node = {key: _lists_from_indexes(value) for key, value in node.items()}
    if node and all(key.isdigit() for key in node):
        items = [{} for _ in range(max(map(int, node)) + 1)]
        for key, value in node.items():
            items[int(key)] = value
        return items
    return node


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


class StrictInputMixin(serializers.Serializer):
    """A body object with a key the resource does not know is a 400 naming each such key.

    Known are this serializer's fields, read-only ones included, and those of `echoes`, the
    representation clients read when another serializer writes it: what a GET answers can be
    sent back as it is, its read-only fields ignored. Nested serializers with this mixin
    check their own objects, list items included. A null for a text field that may be blank
    (so reads as "") means "".
    """

    echoes: type[serializers.Serializer] | None = None

    def to_internal_value(self, data):
        if not isinstance(data, Mapping):
            return super().to_internal_value(data)
        known = set(self.fields)
        if self.echoes is not None:
            known.update(_field_names(self.echoes))
        unknown = unknown_fields(data, known)
        try:
            value = super().to_internal_value(self._blank_for_null(data))
        except exceptions.ValidationError as error:
            if not unknown or not isinstance(error.detail, dict):
                raise
            raise exceptions.ValidationError({**error.detail, **unknown}) from None
        if unknown:
            raise exceptions.ValidationError(unknown)
        return value

    def _blank_for_null(self, data: Mapping) -> Mapping:
        blank = [
            name
            for name, field in self.fields.items()
            if name in data
            and data[name] is None
            and isinstance(field, serializers.CharField)
            and field.allow_blank
            and not field.allow_null
        ]
        return {**data, **dict.fromkeys(blank, "")} if blank else data


@functools.cache
def _field_names(serializer_class: type[serializers.Serializer]) -> frozenset[str]:
    return frozenset(serializer_class().fields)


class CachedFieldsMixin:
    """ModelSerializer.get_fields() built once per class, then copied per serializer.

    Building fields from the model (labels, validators, kwargs) costs milliseconds per
    request; a copy is what DRF already does for declared fields (see _field_copy).
    """

    def get_fields(self):
        cls = type(self)
        template = cls.__dict__.get("_fields_template")
        if template is None:
            fields = super().get_fields()
            cls._fields_template = copy.deepcopy(fields)
            return fields
        return {name: _field_copy(field) for name, field in template.items()}


def _field_copy(field):
    """A template field as a new, unbound field: a shallow copy for a field holding no other
    field (the template is never bound or used, and binding sets attributes of the copy
    only), DRF's deep copy (a new instance from the same arguments) for one that does (a
    nested serializer, a ListField's child), whose inner fields are bound to their parent.

    A shallow copy costs a tenth of DRF's deep copy, which builds the field again."""
    if isinstance(field, serializers.BaseSerializer) or any(
        hasattr(field, name) for name in ("child", "child_relation")
    ):
        return copy.deepcopy(field)
    return copy.copy(field)


class FastRepresentationMixin:
    """A serializer's to_representation without DRF's per-field overhead, same output.

    A field that reads one concrete column is read with attrgetter; every other field keeps
    its own get_attribute. Every value still goes through the field's to_representation, so
    the result is DRF's, key for key. The plan is built once per serializer instance, which
    for a list is once per page.
    """

    def to_representation(self, instance):
        plan = self.__dict__.get("_representation_plan")
        if plan is None:
            plan = self._representation_plan = self._plan_representation()
        ret = {}
        for name, get, represent, generic in plan:
            if generic:
                try:
                    value = get(instance)
                except SkipField:
                    continue
                if (value.pk if isinstance(value, PKOnlyObject) else value) is None:
                    ret[name] = None
                    continue
            else:
                value = get(instance)
                if value is None:
                    ret[name] = None
                    continue
            ret[name] = represent(value)
        return ret

    def _plan_representation(self):
        model = getattr(getattr(self, "Meta", None), "model", None)
        columns = set()
        if model is not None:
            columns = {field.name for field in model._meta.concrete_fields if not field.is_relation}
        plan = []
        for field in self._readable_fields:
            simple = len(field.source_attrs) == 1 and field.source_attrs[0] in columns
            get = attrgetter(field.source_attrs[0]) if simple else field.get_attribute
            plan.append((field.field_name, get, _fast_representation(field), not simple))
        return plan


def _passing(kind: type, field, same=None):
    """`field.to_representation`, skipped for values of `kind` it would return unchanged."""
    represent = field.to_representation

    def passing(value):
        if type(value) is kind and (same is None or value in same):
            return value
        return represent(value)

    return passing


def _overrides(field, base: type) -> bool:
    return type(field).to_representation is not base.to_representation


# Field classes whose to_representation returns a value of this type unchanged.
_PASSING_TYPES = (
    (serializers.CharField, str),
    (serializers.BooleanField, bool),
    (serializers.IntegerField, int),
)


def _fast_representation(field):
    """The field's to_representation, or a shortcut with the same result: plain values a
    field returns as they are (a str for a CharField, a bool for a BooleanField, an int for
    an IntegerField, a choice for a ChoiceField), and ISO 8601 datetimes of aware values
    (what the database returns with USE_TZ)."""
    for base, kind in _PASSING_TYPES:
        if isinstance(field, base) and not _overrides(field, base):
            return _passing(kind, field)
    if type(field) is serializers.ChoiceField:
        same = {key for key, value in field.choice_strings_to_values.items() if key == value}
        return _passing(str, field, same)
    return _datetime_representation(field)


def _datetime_representation(field):
    if type(field) is not serializers.DateTimeField:
        return field.to_representation
    output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
    if not isinstance(output_format, str) or output_format.lower() != ISO_8601:
        return field.to_representation
    zone = field.timezone if hasattr(field, "timezone") else field.default_timezone()
    if zone is None:
        return field.to_representation

    def represent(value):
        if type(value) is not datetime.datetime or value.tzinfo is None:
            return field.to_representation(value)
        try:
            text = value.astimezone(zone).isoformat()
        except OverflowError:
            return field.to_representation(value)
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return represent

"""Named reads of channels and customers, limited to what the caller may see."""

import datetime
import functools
from collections.abc import Iterable
from types import SimpleNamespace

import orjson
from django.db import connection, connections
from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    TextField,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import TruncDate

from config import pagination
from config.json_rows import column_sql, json_list_sql, literal
from customers.models import ONE_LINE_FIELDS, Address, Channel, Customer, address_one_line
from groups.models import UserCustomerGroup
from orders.models import Order


def user_is_channel_scoped(user) -> bool:
    """Tell whether the user is limited to some channels (superusers never are)."""
    return not user.is_superuser and user.api_channels.exists()


def channel_scope(
    queryset: QuerySet, *, user, channel_field: str = "channel", scoped: bool | None = None
) -> QuerySet:
    """Limit rows of any model to the channels the user may see: the one rule of the API,
    the dialects and the admin. `channel_field` leads from the model to its channel ("" for
    channels themselves); `scoped` is user_is_channel_scoped(user) when the caller knows it
    already. Anonymous users see nothing; superusers, and users limited to no channel,
    everything."""
    if not user.is_authenticated:
        return queryset.none()
    if scoped is None:
        scoped = user_is_channel_scoped(user)
    if scoped:
        lookup = f"{channel_field}__api_users" if channel_field else "api_users"
        return queryset.filter(**{lookup: user})
    return queryset


def channel_list(*, user) -> QuerySet[Channel]:
    """Return the channels the user may see: all, unless the user is limited to some."""
    return channel_scope(Channel.objects.all(), user=user, channel_field="")


def customer_all() -> QuerySet[Customer]:
    """Return every customer not merged into another: the base of every list, search, filter
    and export (a merged customer is only an alias of the one it was merged into)."""
    return Customer.listed_queryset()


def customer_list(*, user) -> QuerySet[Customer]:
    """Return the customers of the channels the user may see."""
    return channel_scope(customer_all().select_related("channel"), user=user)


# A chain of merges longer than this is a cycle, which merges.services never writes.
ALIAS_CHAIN_LIMIT = 100


def customer_aliases_resolve(ids: Iterable[int]) -> dict[int, int]:
    """Return {id: the id it stands for} for the given customer ids: a merged customer's id
    stands for the customer it was merged into, following chains (A into B, later B into C:
    A stands for C); any other id for itself. One query per link of the longest chain."""
    resolved = {pk: pk for pk in ids}
    pending = set(resolved)
    for _ in range(ALIAS_CHAIN_LIMIT):
        links = dict(
            Customer.objects.filter(pk__in=pending, merged_into__isnull=False).values_list(
                "pk", "merged_into_id"
            )
        )
        if not links:
            break
        for pk, target in resolved.items():
            if target in links:
                resolved[pk] = links[target]
        pending = set(links.values())
    return resolved


EXPANSIONS = ("recent_orders", "recent_addresses", "phones", "memberships")
RECENT_ORDERS = 5
RECENT_ADDRESSES = 5
ADDRESS_FIELDS = frozenset({"addresses", "default_address", "billing_address"})
ADDRESS_EXPANSIONS = frozenset({"recent_addresses", "phones"})
# Prefetched relations land in plain lists: a prefetch into `customer.addresses.all()` clones
# a queryset for every row of the page, which costs more than the query itself.
ADDRESSES_ATTR = "address_list"
MEMBERSHIPS_ATTR = "membership_list"


def _wants(fields: set[str] | None, names) -> bool:
    return fields is None or bool(fields & set(names))


def _memberships_prefetch(*, expanded: bool) -> Prefetch:
    related = "group__parent" if expanded else "group"
    memberships = UserCustomerGroup.objects.select_related(related)
    return Prefetch("memberships", queryset=memberships, to_attr=MEMBERSHIPS_ATTR)


def group_member_counts(*, group_ids: Iterable[int], user) -> dict[int, int]:
    """Return {group id: members the user may see} for the groups, counted once per page.

    Like list totals: for superusers on PostgreSQL members are counted up to
    config.pagination.EXACT_COUNT_LIMIT (PagePagination's exact_count_limit), and a larger
    group gets the planner's estimate (never below that). A group the table's statistics put
    at more than config.pagination.ESTIMATE_TRUSTED times that limit is not counted at all
    (see there why that estimate can be trusted). Counting costs about a millisecond per
    10,000 members, per group shown. Other users get exact counts of the members in the
    channels they may see, decided inside the one SQL query.
    """
    group_ids = sorted(set(group_ids))
    if not group_ids:
        return {}
    superuser = user is None or user.is_superuser
    if not superuser or connection.vendor != "postgresql":
        memberships = UserCustomerGroup.objects.filter(group_id__in=group_ids)
        if not superuser:
            own = Channel.objects.filter(api_users=user).values("pk")
            memberships = memberships.filter(~Exists(own) | Q(customer__channel__in=own))
        counted = memberships.order_by().values_list("group_id").annotate(n=Count("*"))
        return dict.fromkeys(group_ids, 0) | dict(counted)
    limit = pagination.EXACT_COUNT_LIMIT
    table = UserCustomerGroup._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            _MEMBER_COUNTS_SQL.format(table=connection.ops.quote_name(table)),
            [table, pagination.ESTIMATE_TRUSTED * limit, limit + 1, group_ids],
        )
        rows = cursor.fetchall()
    counts = {}
    for group_id, estimate, counted in rows:
        if counted is None:
            counts[group_id] = estimate
        elif counted > limit:
            counts[group_id] = max(counted, estimate or 0)
        else:
            counts[group_id] = counted
    return counts


# Per group: its members as ANALYZE estimated them (NULL for a group too rare to be among the
# column's most common values), and its members counted up to the limit + 1 unless that
# estimate is trusted (NULL then). Parameters: the table, the trusted estimate, the limit + 1,
# the group ids.
_MEMBER_COUNTS_SQL = (
    "WITH estimated(id, members) AS ("
    " SELECT v.id, round(v.freq * c.reltuples)::bigint"
    " FROM pg_stats s JOIN pg_class c ON c.relname = s.tablename"
    " AND c.relnamespace = to_regnamespace(current_schema()),"
    " unnest(s.most_common_vals::text::bigint[], s.most_common_freqs) AS v(id, freq)"
    " WHERE s.schemaname = current_schema() AND s.tablename = %s AND s.attname = 'group_id'"
    " AND NOT s.inherited AND c.reltuples > 0)"
    " SELECT g.id, e.members, CASE WHEN e.members > %s THEN NULL ELSE"
    " (SELECT count(*) FROM (SELECT 1 FROM {table} m WHERE m.group_id = g.id LIMIT %s) capped)"
    " END FROM unnest(%s::bigint[]) AS g(id) LEFT JOIN estimated e ON e.id = g.id"
)


RECENT_ORDER_COLUMNS = ("id", "customer_id", "number", "placed_at", "total", "status")
ORDER_ADDRESS_COLUMNS = ("shipping_address", "billing_address")
RECENT_ORDERS_ATTR = "recent_orders"


def _recent_orders(*, with_addresses: bool) -> QuerySet[Order]:
    columns = RECENT_ORDER_COLUMNS + (ORDER_ADDRESS_COLUMNS if with_addresses else ())
    return Order.objects.only(*columns).order_by("-placed_at", "-id")


def _recent_orders_prefetch(*, with_addresses: bool = False) -> Prefetch:
    # A sliced prefetch is one window-function query for the whole page.
    recent = _recent_orders(with_addresses=with_addresses)[:RECENT_ORDERS]
    return Prefetch("orders", queryset=recent, to_attr=RECENT_ORDERS_ATTR)


def customer_recent_orders(customer: Customer) -> list[Order]:
    """Return the customer's last RECENT_ORDERS orders, newest first: the page's prefetched
    list (customer_list_for_api's recent_orders or recent_addresses), or one query."""
    prefetched = getattr(customer, RECENT_ORDERS_ATTR, None)
    if prefetched is not None:
        return prefetched
    return list(_recent_orders(with_addresses=True).filter(customer=customer)[:RECENT_ORDERS])


def customer_recent_addresses(customer: Customer) -> list[str]:
    """Return up to RECENT_ADDRESSES one-line addresses, newest first and distinct: the
    customer's own addresses (by creation) and the shipping and billing addresses of its
    recent orders (by placement), so addresses that came with marketplace orders count too."""
    dated = [
        ((address.created_at, address.pk), address.one_line())
        for address in customer_addresses(customer)
    ]
    for order in customer_recent_orders(customer):
        for snapshot in (order.shipping_address, order.billing_address):
            if isinstance(snapshot, dict):
                dated.append(((order.placed_at, order.pk), address_one_line(snapshot)))
    # Stable: an order's shipping address stays before its billing address.
    dated.sort(key=lambda pair: pair[0], reverse=True)
    lines = dict.fromkeys(line for _, line in dated if line)
    return list(lines)[:RECENT_ADDRESSES]


# The customer's own phones, first in customer_phones.
PHONES = ("phone", "phone_secondary")


def customer_phones(customer: Customer) -> list[str]:
    """Return the customer's distinct phone numbers: its own, then its addresses'."""
    numbers = [getattr(customer, name) for name in PHONES]
    numbers += [address.phone for address in customer_addresses(customer)]
    return list(dict.fromkeys(number for number in numbers if number))


def customer_addresses(customer: Customer) -> list:
    """Return the customer's addresses: the page's prefetched list, or one query."""
    prefetched = getattr(customer, ADDRESSES_ATTR, None)
    return prefetched if prefetched is not None else list(customer.addresses.all())


def customer_memberships(customer: Customer) -> list:
    """Return the customer's memberships with groups: the prefetched list, or one query."""
    prefetched = getattr(customer, MEMBERSHIPS_ATTR, None)
    if prefetched is not None:
        return prefetched
    return list(customer.memberships.select_related("group"))


def customer_list_for_api(
    *, user, fields: set[str] | None = None, expand: Iterable[str] = ()
) -> QuerySet[Customer]:
    """Return customer_list(user=...) with only the relations the asked fields need prefetched.

    Each relation costs one query per page whatever its size; `fields` None means all fields.
    """
    expand = set(expand)
    customers = customer_list(user=user)
    if _wants(fields, ADDRESS_FIELDS) or expand & ADDRESS_EXPANSIONS:
        customers = customers.prefetch_related(Prefetch("addresses", to_attr=ADDRESSES_ATTR))
    if _wants(fields, {"groups"}) or "memberships" in expand:
        customers = customers.prefetch_related(
            _memberships_prefetch(expanded="memberships" in expand)
        )
    if expand & {"recent_orders", "recent_addresses"}:
        recent = _recent_orders_prefetch(with_addresses="recent_addresses" in expand)
        customers = customers.prefetch_related(recent)
    return customers


# --- pages read as values -----------------------------------------------------------------
# A list page needs no model instances: building ~50 of them (each with its addresses and
# memberships, through the prefetch machinery) costs more than the queries. The rows below
# carry the same attributes, so the serializers represent them exactly as instances.

CUSTOMER_COLUMNS = tuple(field.attname for field in Customer._meta.concrete_fields)
ADDRESS_COLUMNS = tuple(field.attname for field in Address._meta.concrete_fields)
CHANNEL_CODE_KEY = "code_of_channel"


class CustomerRow:
    """A customer read with values(): its columns, `channel.code` and the page's relations."""

    Status = Customer.Status
    name = Customer.name
    is_active = Customer.is_active
    has_password = Customer.has_password

    def __init__(self, values: dict):
        self.__dict__ = values


class AddressRow:
    def __init__(self, values: dict):
        self.__dict__ = values


# On PostgreSQL a page's addresses (JSON objects) and group codes (a JSON list) come in the
# page's own statement: no round trip and no ORM query per relation. Their SQL is written
# once from the models' _meta: the ORM takes longer to build such an expression than the
# database to run it. Each address column is turned back into what values() gives by its
# model field's type; a type without an exact JSON round trip (a decimal, a date) stops the
# import until someone decides how to read it.
ADDRESSES_KEY = "addresses_of_row"
GROUP_CODES_KEY = "group_codes_of_row"
_JSON_EXACT_TYPES = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "IntegerField",
        "PositiveIntegerField",
        "SmallIntegerField",
        "TextField",
    }
)


def _json_column_loaders(model) -> dict:
    """{column: function turning its JSON value into the values() value} for the columns
    that need one (datetimes: PostgreSQL's JSON writes ISO 8601 with the session's offset)."""
    loaders = {}
    for field in model._meta.concrete_fields:
        kind = (field.target_field if field.is_relation else field).get_internal_type()
        if kind == "DateTimeField":
            loaders[field.attname] = datetime.datetime.fromisoformat
        elif kind not in _JSON_EXACT_TYPES:
            raise TypeError(f"{model.__name__}.{field.name} ({kind}) has no exact JSON reading.")
    return loaders


ADDRESS_JSON_LOADERS = _json_column_loaders(Address)


def _quoted(name: str) -> str:
    return connection.ops.quote_name(name)


def _relation_sql(select: str, table, where_column: str) -> str:
    """A subquery of one relation of the outer customer row (the base table keeps its own
    name as alias in every list query, filters and channel scoping included)."""
    outer = f"{_quoted(Customer._meta.db_table)}.{_quoted(Customer._meta.pk.column)}"
    return f"SELECT {select} FROM {_quoted(table)} r WHERE r.{_quoted(where_column)} = {outer}"


@functools.cache
def _addresses_json_sql() -> str:
    """The customer's addresses as JSON text (objects keyed by attname, by id), or NULL."""
    pairs = ", ".join(
        f"'{field.attname}', r.{_quoted(field.column)}" for field in Address._meta.concrete_fields
    )
    select = f"json_agg(json_build_object({pairs}) ORDER BY r.{_quoted(Address._meta.pk.column)})"
    column = Address._meta.get_field("customer").column
    return _relation_sql(f"{select}::text", Address._meta.db_table, column)


@functools.cache
def _group_codes_sql() -> str:
    """The customer's group codes as JSON text (a list), or NULL."""
    group = UserCustomerGroup._meta.get_field("group")
    codes = (
        f"(SELECT g.{_quoted(group.target_field.model._meta.get_field('code').column)} FROM "
        f"{_quoted(group.related_model._meta.db_table)} g WHERE "
        f"g.{_quoted(group.target_field.column)} = r.{_quoted(group.column)})"
    )
    column = UserCustomerGroup._meta.get_field("customer").column
    return _relation_sql(f"json_agg({codes})::text", UserCustomerGroup._meta.db_table, column)


def customer_rows_queryset(
    customers: QuerySet[Customer], *, fields: set[str] | None = None
) -> QuerySet:
    """The customers (filtered and ordered) as column dicts, for customer_page_rows; on
    PostgreSQL with the addresses and group codes the asked fields need.

    The channel code is a subquery, not a join: a join would stay in the id-only query of a
    deep page (PagePagination) and turn its index-only scan into a join over the offset.
    """
    code = Channel.objects.filter(pk=OuterRef("channel_id")).order_by().values("code")
    related = {CHANNEL_CODE_KEY: Subquery(code)}
    if connections[customers.db].vendor == "postgresql":
        if _wants(fields, ADDRESS_FIELDS):
            related[ADDRESSES_KEY] = RawSQL(_addresses_json_sql(), [], TextField())
        if _wants(fields, {"groups"}):
            related[GROUP_CODES_KEY] = RawSQL(_group_codes_sql(), [], TextField())
    return customers.prefetch_related(None).annotate(**related).values(*CUSTOMER_COLUMNS, *related)


def customer_addresses_json_sql(table: str, address_json: str, *, flag: str = "") -> str:
    """SQL of the JSON text of the customer's addresses, by id, as customer_addresses reads
    them; with `flag` ("is_default"), of the first one with it set, or null.

    `address_json` writes one address of the table aliased `r` as JSON text."""
    key = Address._meta.pk.column
    customer = _quoted(Address._meta.get_field("customer").column)
    where = f"r.{customer} = {table}.{_quoted(Customer._meta.pk.column)}"
    source = f"FROM {_quoted(Address._meta.db_table)} r WHERE {where}"
    if not flag:
        listed = f"SELECT string_agg({address_json}, ',' ORDER BY r.{_quoted(key)}) {source}"
        return f"('[' || COALESCE(({listed}), '') || ']')"
    column = _quoted(Address._meta.get_field(flag).column)
    first = f"SELECT {address_json} {source} AND r.{column} ORDER BY r.{_quoted(key)} LIMIT 1"
    return f"COALESCE(({first}), 'null')"


def customer_addresses_json_run_sql(
    table: str, address_json: str, flagged: list[tuple[str, str]]
) -> str:
    """customer_addresses_json_sql's list of addresses followed, for each (key SQL, flag) of
    `flagged`, by that key and the first address with the flag (or null), from one read of
    the addresses: each address's JSON is written once, not once per field showing it.

    The aggregates take the addresses in the order of the sorted subquery that feeds them,
    with nothing between the two that could reorder rows (PostgreSQL's documented condition
    for that order to hold). An `ORDER BY` inside each aggregate call would say the same,
    but PostgreSQL 15 then sorts once per aggregate and customer: three sorts per row, 0.6
    of the 1.4 ms of a 50-row page's addresses (bench/RESULTS.md, "Reads' fixed cost,
    sixth pass")."""
    key = _quoted(Address._meta.pk.column)
    customer = _quoted(Address._meta.get_field("customer").column)
    flags = [_quoted(Address._meta.get_field(flag).column) for _, flag in flagged]
    read = ", ".join([f"r.{key} AS id", *(f"r.{column} AS f{n}" for n, column in enumerate(flags))])
    rows = (
        f"SELECT {read}, {address_json} AS j FROM {_quoted(Address._meta.db_table)} r"
        f" WHERE r.{customer} = {table}.{_quoted(Customer._meta.pk.column)} ORDER BY r.{key}"
    )
    written = ["'[' || COALESCE(string_agg(a.j, ','), '') || ']'"]
    for n, (key_sql, _) in enumerate(flagged):
        first = f"(array_agg(a.j) FILTER (WHERE a.f{n}))[1]"
        written += [key_sql, f"COALESCE({first}, 'null')"]
    return f"(SELECT {' || '.join(written)} FROM ({rows}) a)"


def customer_group_codes_json_sql(table: str, code_json) -> str:
    """SQL of the JSON text of the customer's group codes, sorted as Python sorts text (by
    code point: the bytes of UTF-8 under the "C" collation); `code_json(expression)` writes
    one code as JSON text."""
    group = UserCustomerGroup._meta.get_field("group")
    code = f"g.{_quoted(group.related_model._meta.get_field('code').column)}"
    customer = UserCustomerGroup._meta.get_field("customer").column
    codes = (
        f"SELECT string_agg({code_json(code)}, ',' ORDER BY {code} COLLATE \"C\")"
        f" FROM {_quoted(UserCustomerGroup._meta.db_table)} r"
        f" JOIN {_quoted(group.related_model._meta.db_table)} g"
        f" ON g.{_quoted(group.target_field.column)} = r.{_quoted(group.column)}"
        f" WHERE r.{_quoted(customer)} = {table}.{_quoted(Customer._meta.pk.column)}"
    )
    return f"('[' || COALESCE(({codes}), '') || ']')"


def _of_customer(model, alias: str, table: str) -> str:
    """`alias.customer_id = <the customer row's id>`, for a relation of the customer."""
    outer = f"{table}.{_quoted(Customer._meta.pk.column)}"
    return f"{column_sql(model, 'customer', alias)} = {outer}"


def _recent_orders_sql(table: str, select: str) -> str:
    """The customer's last RECENT_ORDERS orders, newest first (customer_recent_orders), as
    `o`, each read as `select`."""
    placed, key = column_sql(Order, "placed_at", "o"), column_sql(Order, "id", "o")
    return (
        f"SELECT {select} FROM {_quoted(Order._meta.db_table)} o"
        f" WHERE {_of_customer(Order, 'o', table)}"
        f" ORDER BY {placed} DESC, {key} DESC LIMIT {RECENT_ORDERS}"
    )


def customer_recent_orders_json_sql(table: str, order_json: str) -> str:
    """SQL of the JSON text of the customer's recent orders (customer_recent_orders);
    `order_json` writes one order of the table aliased `o`."""
    return json_list_sql(_recent_orders_sql(table, f"{order_json} AS j"))


def _one_line_sql(parts: list[str]) -> str:
    """address_one_line of the text expressions of ONE_LINE_FIELDS, in its order: the street
    and number joined by a space, then the parts joined by ", ", empty or NULL ones left out."""
    street = f"concat_ws(' ', NULLIF({parts[0]}, ''), NULLIF({parts[1]}, ''))"
    rest = ", ".join(f"NULLIF({part}, '')" for part in parts[2:])
    return f"concat_ws(', ', NULLIF({street}, ''), {rest})"


def customer_recent_addresses_json_sql(table: str) -> str:
    """SQL of the JSON text of customer_recent_addresses: the one-line forms of the customer's
    addresses and of its recent orders' shipping and billing snapshots (JSON objects only),
    newest first by (date, id), an address before an order of the same (date, id) and a
    shipping address before the billing one (Python's stable sort), each line once where it
    first appears, blank ones left out, RECENT_ADDRESSES of them."""
    address = _one_line_sql([column_sql(Address, name, "r") for name in ONE_LINE_FIELDS])
    snapshot = _one_line_sql([f"(k.s ->> {literal(name)})" for name in ONE_LINE_FIELDS])
    recent = _recent_orders_sql(
        table,
        ", ".join(
            column_sql(Order, name, "o")
            for name in ("placed_at", "id", "shipping_address", "billing_address")
        ),
    )
    created, key = column_sql(Address, "created_at", "r"), column_sql(Address, "id", "r")
    dated = (
        f"SELECT {created} AS at, {key} AS pk,"
        f" 0 AS source, 0 AS kind, {address} AS line"
        f" FROM {_quoted(Address._meta.db_table)} r WHERE {_of_customer(Address, 'r', table)}"
        f" UNION ALL SELECT o.at, o.pk, 1, k.kind, {snapshot}"
        f" FROM ({recent}) o(at, pk, shipping, billing)"
        " CROSS JOIN LATERAL (VALUES (0, o.shipping), (1, o.billing)) k(kind, s)"
        " WHERE jsonb_typeof(k.s) = 'object'"
    )
    ranked = (
        f"SELECT d.line, row_number() OVER (ORDER BY d.at DESC, d.pk DESC, d.source, d.kind) AS n"
        f" FROM ({dated}) d"
    )
    firsts = (
        f"SELECT to_json(f.line)::text AS j FROM (SELECT x.line, min(x.n) AS n FROM ({ranked}) x"
        f" WHERE x.line <> '' GROUP BY x.line ORDER BY n LIMIT {RECENT_ADDRESSES}) f ORDER BY f.n"
    )
    return json_list_sql(firsts)


def customer_phones_json_sql(table: str) -> str:
    """SQL of the JSON text of customer_phones: the customer's phone, its second phone, then
    its addresses' phones by id, each number once where it first appears, blank ones left
    out."""
    phone, second = (f"{table}.{_quoted(Customer._meta.get_field(n).column)}" for n in PHONES)
    numbered = (
        f"SELECT {phone} AS p, 0 AS n UNION ALL SELECT {second}, 1"
        f" UNION ALL SELECT {column_sql(Address, 'phone', 'r')},"
        f" 1 + row_number() OVER (ORDER BY {column_sql(Address, 'id', 'r')})"
        f" FROM {_quoted(Address._meta.db_table)} r WHERE {_of_customer(Address, 'r', table)}"
    )
    firsts = (
        f"SELECT to_json(f.p)::text AS j FROM (SELECT x.p, min(x.n) AS n FROM ({numbered}) x"
        " WHERE x.p <> '' GROUP BY x.p) f ORDER BY f.n"
    )
    return json_list_sql(firsts)


def customer_memberships_json_sql(table: str, membership_json: str) -> str:
    """SQL of the JSON text of the customer's memberships by their group's code as Python
    sorts text (the "C" collation); `membership_json` writes one membership of the table
    aliased `r`."""
    group = UserCustomerGroup._meta.get_field("group")
    groups = _quoted(group.related_model._meta.db_table)
    code = column_sql(group.related_model, "code", "g")
    group_key = column_sql(group.related_model, "id", "g")
    rows = (
        f"SELECT {membership_json} AS j FROM {_quoted(UserCustomerGroup._meta.db_table)} r"
        f" JOIN {groups} g ON {group_key} = r.{_quoted(group.column)}"
        f' WHERE {_of_customer(UserCustomerGroup, "r", table)} ORDER BY {code} COLLATE "C"'
    )
    return json_list_sql(rows)


def customer_page_rows(page: list[dict], *, fields: set[str] | None = None) -> list[CustomerRow]:
    """Rows of customer_rows_queryset as CustomerRows, with addresses and group codes as
    customer_list_for_api prefetches them: read in the page's statement, or one query each
    (when the asked fields need them)."""
    rows, channels = [], {}
    read = set(page[0]) if page else set()
    for values in page:
        code = values.pop(CHANNEL_CODE_KEY)
        if code not in channels:
            channels[code] = SimpleNamespace(code=code)
        values["channel"] = channels[code]
        addresses, codes = values.pop(ADDRESSES_KEY, None), values.pop(GROUP_CODES_KEY, None)
        row = CustomerRow(values)
        if ADDRESSES_KEY in read:
            setattr(row, ADDRESSES_ATTR, _addresses_from_json(addresses))
        if GROUP_CODES_KEY in read:
            setattr(row, MEMBERSHIPS_ATTR, _memberships_of_codes(orjson.loads(codes or "[]")))
        rows.append(row)
    if _wants(fields, ADDRESS_FIELDS) and ADDRESSES_KEY not in read:
        _read_addresses(rows)
    if _wants(fields, {"groups"}) and GROUP_CODES_KEY not in read:
        _read_group_codes(rows)
    return rows


def _addresses_from_json(text: str | None) -> list[AddressRow]:
    if text is None:
        return []
    addresses = orjson.loads(text)
    for values in addresses:
        for column, load in ADDRESS_JSON_LOADERS.items():
            if values[column] is not None:
                values[column] = load(values[column])
    return [AddressRow(values) for values in addresses]


def _memberships_of_codes(codes: Iterable[str]) -> list[SimpleNamespace]:
    return [SimpleNamespace(group=SimpleNamespace(code=code)) for code in codes]


def _read_addresses(rows: list[CustomerRow]) -> None:
    by_customer = {row.id: [] for row in rows}
    for values in Address.objects.filter(customer_id__in=list(by_customer)).values(
        *ADDRESS_COLUMNS
    ):
        by_customer[values["customer_id"]].append(AddressRow(values))
    for row in rows:
        setattr(row, ADDRESSES_ATTR, by_customer[row.id])


def _read_group_codes(rows: list[CustomerRow]) -> None:
    codes = {row.id: [] for row in rows}
    for customer_id, code in UserCustomerGroup.objects.filter(
        customer_id__in=list(codes)
    ).values_list("customer_id", "group__code"):
        codes[customer_id].append(code)
    for row in rows:
        setattr(row, MEMBERSHIPS_ATTR, _memberships_of_codes(codes[row.id]))


def _of_channels(queryset: QuerySet, channel_ids: Iterable[int] | None) -> QuerySet:
    """The rows of these channels; None: of every channel (no condition, so that a date
    range alone picks the index)."""
    if channel_ids is None:
        return queryset
    return queryset.filter(channel_id__in=list(channel_ids))


def customer_counts_by_channel(*, channel_ids: Iterable[int] | None) -> dict[int, int]:
    """Return {channel id: customers} for these channels (None: all), merged customers left
    out (they are aliases)."""
    rows = (
        _of_channels(customer_all(), channel_ids)
        .order_by()
        .values("channel_id")
        .annotate(count=Count("pk"))
    )
    return {row["channel_id"]: row["count"] for row in rows}


def customer_daily_counts(
    *, channel_ids: Iterable[int] | None, since: datetime.datetime
) -> dict[tuple[int, datetime.date], int]:
    """Return {(channel id, day): customers created} from `since` on in these channels
    (None: all), days in the current time zone; the range is read off the created_at
    index, whatever the table's size."""
    rows = (
        _of_channels(customer_all().filter(created_at__gte=since), channel_ids)
        .order_by()
        .annotate(day=TruncDate("created_at"))
        .values("channel_id", "day")
        .annotate(count=Count("pk"))
    )
    return {(row["channel_id"], row["day"]): row["count"] for row in rows}


def customer_merged_into(*, pk: int, user) -> int | None:
    """Return the id of the customer that a merged customer the user may see stands for (the
    end of a chain of merges), or None when `pk` is no merged customer the user may see."""
    merged = channel_scope(Customer.objects.filter(pk=pk, merged_into__isnull=False), user=user)
    if not merged.exists():
        return None
    return customer_aliases_resolve([int(pk)])[int(pk)]

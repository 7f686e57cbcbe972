"""Write one batch of validated rows through the database's fastest path.

PostgreSQL: COPY into a temporary staging table, then one INSERT ... SELECT ... ON CONFLICT
(channel_id, email) DO UPDATE ... WHERE <a sent column differs> per set of sent columns,
returning (id, created); rows already holding the values are left alone ("unchanged").
SQLite: bulk_create(update_conflicts=True) for the rows that differ.
Addresses and memberships are set-based on both: one lookup, one COPY (or bulk_create).
"""

import json
from collections import defaultdict
from collections.abc import Sequence

from django.db import connection
from django.utils import timezone

from customers.imports.rows import ADDRESS_TEXT_FIELDS, CleanRow
from customers.models import CUSTOMER_EDITABLE_FIELDS, Address, Customer
from groups.models import UserCustomerGroup

STAGE_TABLE = "patron_customer_import_stage"
CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
# Columns an import may write; everything else (statistics, last login) keeps its default.
WRITTEN = (*CUSTOMER_EDITABLE_FIELDS, "password")
INSERTED = ("channel_id", "email", *WRITTEN, "created_at", "updated_at")
_FIELDS = {f.attname: f for f in Customer._meta.concrete_fields}
_DEFAULTS = {name: _FIELDS[name].get_default() for name in WRITTEN}
_DEFAULTS["date_joined"] = None  # filled with the batch's time
_DEFAULTS["password"] = ""


def customer_rows_write(rows: Sequence[CleanRow]) -> list[tuple[CleanRow, int, str]]:
    """Create or update the rows' customers, addresses and groups; return (row, id, status)."""
    now = timezone.now()
    if connection.vendor == "postgresql":
        written = _postgresql_customers_write(rows, now)
    else:
        written = _sqlite_customers_write(rows, now)
    _addresses_write(written, now)
    _groups_write(written, now)
    return written


def _by_sent_columns(rows: Sequence[CleanRow]) -> dict[tuple[str, ...], list[CleanRow]]:
    """Group rows by the columns they send: an update writes only those (like PATCH)."""
    groups: dict[tuple[str, ...], list[CleanRow]] = defaultdict(list)
    for row in rows:
        groups[tuple(name for name in WRITTEN if name in row.values)].append(row)
    return groups


_DATE_JOINED_AT = INSERTED.index("date_joined")
_JSON_AT = tuple(INSERTED.index(name) for name in ("attributes", "extra_field"))


def _insert_values(row: CleanRow, now) -> list:
    """The row's INSERTED values; what it does not send gets the model's default."""
    get = row.values.get
    values = [row.channel_id, row.email, *[get(name, _DEFAULTS[name]) for name in WRITTEN]]
    values += (now, now)
    if values[_DATE_JOINED_AT] is None:
        values[_DATE_JOINED_AT] = now
    return values


# --- PostgreSQL -------------------------------------------------------------------------------


def _stage_ensure(cursor) -> None:
    columns = ", ".join(f"{name} {_FIELDS[name].db_type(connection)}" for name in INSERTED)
    cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {STAGE_TABLE} (sent int, {columns})")
    cursor.execute(f"TRUNCATE {STAGE_TABLE}")


def _copy_value(value):
    return json.dumps(value) if isinstance(value, dict | list) else value


def _upsert_sql(sent: tuple[str, ...]) -> str:
    """Insert new customers and update changed ones; answer every staged row's id and status.

    Rows whose sent columns already hold these values are left alone (unchanged), so a rerun
    writes nothing and does not move updated_at.
    """
    columns = ", ".join(INSERTED)
    constants = "0, 0, '', NULL, NULL, NULL, NULL"
    if sent:
        assignments = ", ".join(f"{name} = EXCLUDED.{name}" for name in (*sent, "updated_at"))
        current = ", ".join(f"customers_customer.{name}" for name in sent)
        incoming = ", ".join(f"EXCLUDED.{name}" for name in sent)
        action = (
            f"DO UPDATE SET {assignments} WHERE ROW({current}) IS DISTINCT FROM ROW({incoming})"
        )
    else:
        action = "DO NOTHING"
    return (
        f"INSERT INTO customers_customer ({columns}, orders_count, total_spent, "
        "total_spent_currency, first_order_at, last_order_at, last_order_id, last_login_at) "
        f"SELECT {columns}, {constants} FROM {STAGE_TABLE} WHERE sent = %s "
        f"ON CONFLICT (channel_id, email) {action} "
        "RETURNING id, channel_id, email, (xmax = 0)"
    )


_STATUS = {True: CREATED, False: UPDATED}


def _postgresql_customers_write(rows, now) -> list[tuple[CleanRow, int, str]]:
    grouped = _by_sent_columns(rows)
    by_key = {row.key: row for row in rows}
    written = []
    with connection.cursor() as cursor:
        _stage_ensure(cursor)
        copy_sql = f"COPY {STAGE_TABLE} (sent, {', '.join(INSERTED)}) FROM STDIN"
        with cursor.cursor.copy(copy_sql) as copy:
            for number, group in enumerate(grouped.values()):
                for row in group:
                    values = _insert_values(row, now)
                    for index in _JSON_AT:
                        values[index] = json.dumps(values[index])
                    copy.write_row((number, *values))
        for number, sent in enumerate(grouped):
            cursor.execute(_upsert_sql(sent), [number])
            for pk, channel_id, email, created in cursor.fetchall():
                written.append((by_key.pop((channel_id, email)), pk, _STATUS[created]))
        if by_key:
            # Rows left alone are not returned: look their ids up by (channel, email).
            cursor.execute(
                "SELECT c.id, c.channel_id, c.email "
                "FROM unnest(%s::bigint[], %s::text[]) AS k(channel_id, email) "
                "JOIN customers_customer c ON c.channel_id = k.channel_id AND c.email = k.email",
                [[channel for channel, _ in by_key], [email for _, email in by_key]],
            )
            for pk, channel_id, email in cursor.fetchall():
                row = by_key.pop((channel_id, email), None)
                if row is not None:
                    written.append((row, pk, UNCHANGED))
    return written


# --- SQLite and others ------------------------------------------------------------------------


def _sqlite_customers_write(rows, now) -> list[tuple[CleanRow, int, str]]:
    status: dict[tuple[int, str], str] = {}
    for sent, group in _by_sent_columns(rows).items():
        existing = _existing_values(group, sent)
        changed = []
        for row in group:
            if row.key not in existing:
                status[row.key] = CREATED
            elif existing[row.key] != tuple(row.values[name] for name in sent):
                status[row.key] = UPDATED
            else:
                status[row.key] = UNCHANGED
                continue
            changed.append(row)
        _sqlite_bulk_upsert(changed, sent, now)
    ids = _ids_by_key(rows)
    return [(row, ids[row.key], status[row.key]) for row in rows]


def _sqlite_bulk_upsert(rows, sent, now) -> None:
    objects = [
        Customer(**dict(zip(INSERTED, _insert_values(row, now), strict=True))) for row in rows
    ]
    if sent:
        Customer.objects.bulk_create(
            objects,
            update_conflicts=True,
            unique_fields=["channel", "email"],
            update_fields=[*sent, "updated_at"],
        )
    else:
        Customer.objects.bulk_create(objects, ignore_conflicts=True)


def _key_filter(rows):
    return Customer.objects.filter(
        channel_id__in={row.channel_id for row in rows}, email__in={row.email for row in rows}
    )


def _existing_values(rows, sent) -> dict[tuple[int, str], tuple]:
    return {
        (channel_id, email): tuple(values)
        for channel_id, email, *values in _key_filter(rows).values_list(
            "channel_id", "email", *sent
        )
    }


def _ids_by_key(rows) -> dict[tuple[int, str], int]:
    return {(c, e): pk for pk, c, e in _key_filter(rows).values_list("pk", "channel_id", "email")}


def _bulk_insert(model, rows: list[dict]) -> None:
    """Insert new rows given as {attname: value} (others get the field's default): COPY on
    PostgreSQL, bulk_create elsewhere. Plain dicts: model instances cost more than the COPY."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create((model(**row) for row in rows), batch_size=500)
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    defaults = {f.attname: f.get_default() for f in fields}
    names = [f.attname for f in fields]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            values = [row.get(name, defaults[name]) for name in names]
            copy.write_row([_copy_value(value) for value in values])


# --- addresses and memberships ----------------------------------------------------------------


def _of_customers(model, customer_ids: list[int], columns: tuple[str, ...]) -> list[tuple]:
    """Rows of a customer's child table for these customers, as tuples of `columns`."""
    if not customer_ids:
        return []
    if connection.vendor != "postgresql":
        return list(model.objects.filter(customer_id__in=customer_ids).values_list(*columns))
    # One array parameter instead of thousands of placeholders (psycopg parses each one).
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(columns)} FROM {model._meta.db_table} WHERE customer_id = ANY(%s)",
            [customer_ids],
        )
        return cursor.fetchall()


def _addresses_write(written, now) -> None:
    """Add each row's addresses unless the customer has one with the same values."""
    with_addresses = [(row, pk, status) for row, pk, status in written if row.addresses]
    if not with_addresses:
        return
    updated_ids = [pk for _, pk, status in with_addresses if status != CREATED]
    known: dict[int, set[tuple]] = defaultdict(set)
    defaults: dict[int, int] = {}
    billings: dict[int, int] = {}
    for values in _of_customers(
        Address,
        updated_ids,
        ("customer_id", "id", "is_default", "is_billing", *ADDRESS_TEXT_FIELDS),
    ):
        customer_id, pk, is_default, is_billing, *content = values
        known[customer_id].add(tuple(content))
        if is_default:
            defaults[customer_id] = pk
        if is_billing:
            billings[customer_id] = pk
    new, unflag = _addresses_new(with_addresses, known, defaults, billings, now)
    for flag, ids in unflag.items():
        if ids:
            Address.objects.filter(pk__in=ids).update(**{flag: False}, updated_at=now)
    _bulk_insert(Address, new)


def _addresses_new(with_addresses, known, defaults, billings, now):
    new: list[dict] = []
    unflag: dict[str, list[int]] = {"is_default": [], "is_billing": []}
    for row, customer_id, _ in with_addresses:
        has_default = customer_id in defaults
        added: list[dict] = []
        for values in row.addresses:
            content = tuple(values.get(name, "") for name in ADDRESS_TEXT_FIELDS)
            if content in known[customer_id]:
                continue
            known[customer_id].add(content)
            address = {
                "is_default": False,
                "is_billing": False,
                **values,
                "customer_id": customer_id,
                "created_at": now,
                "updated_at": now,
            }
            if "is_default" not in values and not has_default:
                address["is_default"] = True
            for flag, holders in (("is_default", defaults), ("is_billing", billings)):
                if address[flag]:
                    if customer_id in holders:
                        unflag[flag].append(holders.pop(customer_id))
                    for earlier in added:
                        earlier[flag] = False
            has_default = has_default or address["is_default"]
            added.append(address)
        new.extend(added)
    return new, unflag


def _groups_write(written, now) -> None:
    """Make each row's memberships exactly its `groups`; kept ones keep their flags and data."""
    wanted = {pk: set(row.groups) for row, pk, _ in written if row.groups is not None}
    if not wanted:
        return
    checked = [pk for row, pk, status in written if row.groups is not None and status != CREATED]
    stale, current = [], defaultdict(set)
    for pk, customer_id, group_id in _of_customers(
        UserCustomerGroup, checked, ("id", "customer_id", "group_id")
    ):
        current[customer_id].add(group_id)
        if group_id not in wanted[customer_id]:
            stale.append(pk)
    if stale:
        UserCustomerGroup.objects.filter(pk__in=stale).delete()
    _bulk_insert(
        UserCustomerGroup,
        [
            {
                "customer_id": customer_id,
                "group_id": group_id,
                "subscribed": True,
                "attributes": {},
                "created_at": now,
                "updated_at": now,
            }
            for customer_id, group_ids in wanted.items()
            for group_id in sorted(group_ids - current[customer_id])
        ],
    )

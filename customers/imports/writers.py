"""Write one batch of validated rows through the database's fastest path.

PostgreSQL: one lookup of the batch's (channel, email) keys; new customers are COPYed straight
into the table with ids taken from its sequence (no staging, no ON CONFLICT); existing ones
are COPYed into a temporary staging table and updated by one UPDATE ... FROM ... WHERE <a sent
column differs> per set of sent columns; rows already holding the values are left alone
("unchanged"). Up to FEW_ROWS existing customers (an edit, a small upsert) are updated from an
inline VALUES list instead, which spares the staging table's round trips. A customer created
by someone else between the lookup and the COPY fails the COPY on the unique key, and the
caller writes the batch again.
SQLite: bulk_create(update_conflicts=True) for the rows that differ.
Rows known by id (an edit of one customer, an admin action) are updated by id and may change
their e-mail; the others are matched by (channel, email).
Addresses and memberships are set-based on both: one lookup, one COPY (or bulk_create).
Every customer the batch changes, itself or its addresses or memberships, gets one more
`version` (config.versions), in the UPDATE itself or one set-based UPDATE after.
"""

import operator
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.db import connection
from django.utils import timezone

from config.versions import version_next
from customers.event_sources import ADDRESS
from customers.imports import postgresql
from customers.imports.rows import ADDRESS_TEXT_FIELDS, CleanRow, address_is_default
from customers.match_keys import (
    KEY_INPUTS,
    channel_regions,
    customer_match_keys_refresh,
    customer_match_pairs_refresh,
    match_key_inputs,
    match_keys_after,
    match_keys_of_inputs,
)
from customers.models import CUSTOMER_EDITABLE_FIELDS, CUSTOMER_MATCH_KEY_FIELDS, Address, Customer
from events.services import events_emit
from events.types import ADDRESS_DELETED, MEMBERSHIP_REMOVED
from groups.event_sources import MEMBERSHIP
from groups.models import UserCustomerGroup

STAGE_TABLE = "patron_customer_import_stage"
# Updates of up to this many rows are sent inline, not through the staging table.
FEW_ROWS = 20
CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
# Columns an import may write; everything else (statistics, last login) keeps its default.
WRITTEN = (*CUSTOMER_EDITABLE_FIELDS, "password")
INSERTED = ("channel_id", "email", *WRITTEN, "created_at", "updated_at")
_FIELDS = {f.attname: f for f in Customer._meta.concrete_fields}
_DEFAULTS = {name: _FIELDS[name].get_default() for name in WRITTEN}
_DEFAULTS["date_joined"] = None  # filled with the batch's time
_DEFAULTS["password"] = ""
# What an update may change: the written columns and, for a row known by id, the e-mail.
UPDATABLE = ("email", *WRITTEN)
_WRITTEN_VALUES = operator.itemgetter(*WRITTEN)
_DATE_JOINED_AT = INSERTED.index("date_joined")


# before_insert(ids by key, new ids) -> {new id: {unsent column: value}} (customer_rows_write).
BeforeInsert = Callable[[dict[tuple[int, str], int], set[int]], dict[int, dict]]


@dataclass
class BatchWritten:
    """What one batch wrote: each row's customer id and status, and the child rows' ids."""

    customers: list[tuple[CleanRow, int, str]]
    addresses_created: list[int] = field(default_factory=list)
    addresses_changed: list[int] = field(default_factory=list)
    memberships_created: list[int] = field(default_factory=list)
    # The names of the fields each updated customer (or changed address) changed: events.
    customers_changed: dict[int, list[str]] = field(default_factory=dict)
    addresses_fields_changed: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    # The created addresses and memberships of customers this batch created (their
    # customer.created event lists them: they get no event of their own).
    addresses_of_created: set[int] = field(default_factory=set)
    memberships_of_created: set[int] = field(default_factory=set)
    # Customers whose match keys the write itself stored (the COPY of a new customer, the
    # UPDATE of an existing one), and existing customers whose default address changed after
    # that UPDATE: only the others' keys are read back and refreshed.
    keys_written: set[int] = field(default_factory=set)
    defaults_changed: set[int] = field(default_factory=set)
    # (id, channel_id, keys before (None: new), keys written) of keys_written: their pairs.
    keys_moved: list[tuple] = field(default_factory=list)

    def created_ids(self) -> set[int]:
        return {pk for _, pk, status in self.customers if status == CREATED}


def customer_rows_write(
    rows: Sequence[CleanRow], *, before_insert: BeforeInsert | None = None
) -> BatchWritten:
    """Create or update the rows' customers, addresses and groups.

    `before_insert(ids, new)` (PostgreSQL only; elsewhere it is not called) is called once
    every row's customer id is known ({key: id}; `new`: the ids about to be inserted) and
    before the new customers are inserted; it answers {id: {column: value}} of new customers'
    columns rows do not write (such as their order statistics), which they are inserted with.
    """
    now, changes, keyed, moved = timezone.now(), {}, set(), []
    if connection.vendor == "postgresql":
        batch = BatchWritten(
            _postgresql_customers_write(rows, now, changes, keyed, moved, before_insert)
        )
    else:
        batch = BatchWritten(_sqlite_customers_write(rows, now, changes))
    batch.customers_changed = changes
    batch.keys_written, batch.keys_moved = keyed, moved
    children_changed = _addresses_write(batch, now) | _groups_write(batch, now)
    # A customer's answer shows its addresses and groups: a change there is a new version of
    # it, unless the batch created it or its own UPDATE already counted one.
    counted = {pk for _, pk, status in batch.customers if status != UNCHANGED}
    _customers_version_bump(sorted(children_changed - counted))
    # The match keys follow the customer's fields and its default address.
    stale = (counted | children_changed) - batch.keys_written
    # The candidate pairs follow the keys: those the write stored, then those refreshed.
    customer_match_pairs_refresh(batch.keys_moved)
    customer_match_keys_refresh(stale | batch.defaults_changed)
    return batch


def _customers_version_bump(ids: list[int]) -> None:
    if not ids:
        return
    if connection.vendor != "postgresql":
        Customer.objects.filter(pk__in=ids).update(version=version_next())
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Customer._meta.db_table} SET version = version + 1 "
            "WHERE id = ANY(%s::bigint[])",
            [postgresql.id_array(ids)],
        )


def _by_sent_columns(rows: Sequence[CleanRow]) -> dict[tuple[str, ...], list[CleanRow]]:
    """Group rows by the columns they send: an update writes only those (like PATCH).

    A row known by id may also change its e-mail, so it sends that too.
    """
    groups: dict[tuple[str, ...], list[CleanRow]] = defaultdict(list)
    sent_by_keys: dict[tuple, tuple[str, ...]] = {}
    for row in rows:
        keys = (row.pk is not None, *row.values)
        if keys not in sent_by_keys:
            sent = {*row.values, *(("email",) if row.pk is not None else ())}
            sent_by_keys[keys] = tuple(name for name in UPDATABLE if name in sent)
        groups[sent_by_keys[keys]].append(row)
    return groups


def _insert_values(row: CleanRow, now) -> list:
    """The row's INSERTED values; what it does not send gets the model's default."""
    values = [row.channel_id, row.email, *_WRITTEN_VALUES({**_DEFAULTS, **row.values}), now, now]
    if values[_DATE_JOINED_AT] is None:
        values[_DATE_JOINED_AT] = now
    return values


# --- PostgreSQL -------------------------------------------------------------------------------

# A new customer's other columns (statistics, last sign-in...) take the model's defaults.
# Its match keys are computed from the values written, in the same COPY.
_KEYS = CUSTOMER_MATCH_KEY_FIELDS
_UNSENT = tuple(name for name in _FIELDS if name not in ("id", *INSERTED, *_KEYS))
_UNSENT_DEFAULTS = tuple(_FIELDS[name].get_default() for name in _UNSENT)
_NEW_COLUMNS = ("id", *INSERTED, *_UNSENT, *_KEYS)
_KEY_INPUTS_OF = operator.itemgetter(*(INSERTED.index(name) for name in KEY_INPUTS))


def _key_inputs(values: Sequence) -> dict:
    """The KEY_INPUTS of a row's INSERTED values."""
    return dict(zip(KEY_INPUTS, _KEY_INPUTS_OF(values), strict=True))


def _created_default_address(row: CleanRow) -> dict | None:
    """The address _addresses_write makes the default of a customer this row creates."""
    if not row.addresses:
        return None
    if not any("is_default" in address for address in row.addresses):
        # No address says which: the first is the default (address_is_default).
        return row.addresses[0]
    new, _ = _addresses_new([(row, 0, CREATED)], defaultdict(set), {}, {}, None, set())
    return next((address for address in new if address["is_default"]), None)


def _created_keys(row: CleanRow, values: Sequence, region: str | None) -> tuple[str, ...]:
    address = _created_default_address(row) or {}
    inputs = _KEY_INPUTS_OF(values)
    return match_keys_of_inputs(inputs, region, address.get("zipcode"), address.get("number"))


def _postgresql_customers_write(
    rows, now, changes, keyed, moved, before_insert
) -> list[tuple[CleanRow, int, str]]:
    ids = postgresql.customer_ids_by_key([row.key for row in rows if row.pk is None])
    ids.update((row.key, row.pk) for row in rows if row.pk is not None)
    existing = [row for row in rows if row.key in ids]
    # Concurrent writers take their rows in one order, so they queue instead of deadlocking:
    # existing customers locked by id first, then new ones inserted by (channel, email).
    new = sorted((row for row in rows if row.key not in ids), key=operator.attrgetter("key"))
    with connection.cursor() as cursor:
        if existing:
            postgresql.rows_lock(Customer._meta.db_table, [ids[row.key] for row in existing])
        new_ids = postgresql.sequence_take(cursor, Customer._meta.db_table, len(new)) if new else []
        unsent = {}
        if before_insert is not None:
            keys = {**ids, **{row.key: pk for pk, row in zip(new_ids, new, strict=True)}}
            unsent = before_insert(keys, set(new_ids))
        written = _postgresql_customers_create(cursor, new, new_ids, unsent, now, keyed, moved)
        if existing:
            written += _postgresql_customers_update(
                cursor, existing, ids, now, changes, keyed, moved
            )
    return written


def _postgresql_customers_create(
    cursor, rows, ids, unsent, now, keyed, moved
) -> list[tuple[CleanRow, int, str]]:
    """COPY the new customers in with their reserved `ids`, their match keys with them (unless
    the row replaces a whole address list: those are refreshed after the addresses are
    written), and `unsent` ({id: {column: value}}) instead of those columns' defaults."""
    if not rows:
        return []
    regions = channel_regions({row.channel_id for row in rows})
    blank = ("",) * len(_KEYS)
    with postgresql.binary_copy(cursor, Customer._meta.db_table, _NEW_COLUMNS) as copy:
        for pk, row in zip(ids, rows, strict=True):
            values = _insert_values(row, now)
            keys = blank
            if not row.addresses_replace:
                keys = _created_keys(row, values, regions[row.channel_id])
                keyed.add(pk)
                moved.append((pk, row.channel_id, None, keys))
            copy.write_row((pk, *values, *_unsent_values(unsent.get(pk)), *keys))
    return [(row, pk, CREATED) for pk, row in zip(ids, rows, strict=True)]


def _unsent_values(given: dict | None) -> tuple:
    """The _UNSENT columns' values of a new customer: `given` ones, else the defaults."""
    if not given:
        return _UNSENT_DEFAULTS
    return tuple(
        given.get(name, default) for name, default in zip(_UNSENT, _UNSENT_DEFAULTS, strict=True)
    )


def _stage_ensure(cursor) -> None:
    columns = ", ".join(f"{name} {_FIELDS[name].db_type(connection)}" for name in INSERTED)
    keys = ", ".join(f"{name} text" for name in _KEYS)
    cursor.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {STAGE_TABLE} (sent int, id bigint, {columns}, {keys})"
    )
    cursor.execute(f"TRUNCATE {STAGE_TABLE}")


def _update_sql(sent: tuple[str, ...]) -> str:
    """Update the staged customers whose sent columns differ; answer their ids.

    Rows already holding these values are left alone (unchanged), so a rerun writes nothing
    and does not move updated_at or the version. When a sent column is one the match keys
    are made of, the staged keys are written too.
    """
    keys = _KEYS if _sends_key_inputs(sent) else ()
    assignments = ", ".join(f"{name} = s.{name}" for name in (*sent, *keys, "updated_at"))
    assignments += ", version = c.version + 1"
    current = ", ".join(f"c.{name}" for name in sent)
    incoming = ", ".join(f"s.{name}" for name in sent)
    return (
        f"UPDATE customers_customer c SET {assignments} FROM {STAGE_TABLE} s "
        f"JOIN customers_customer o ON o.id = s.id "
        f"WHERE s.sent = %s AND c.id = s.id AND ROW({current}) IS DISTINCT FROM ROW({incoming}) "
        f"RETURNING c.id, {_changed_names_sql(sent)}"
    )


def _changed_names_sql(sent: tuple[str, ...]) -> str:
    """The names of the sent columns whose new value (s) differs from the old row (o): the
    self-joined `o` still reads the row as it was before this UPDATE."""
    names = ", ".join(
        f"CASE WHEN o.{name} IS DISTINCT FROM s.{name} THEN '{name}' END" for name in sent
    )
    return f"array_remove(ARRAY[{names}]::text[], NULL)"


def _sends_key_inputs(sent: tuple[str, ...]) -> bool:
    return any(name in KEY_INPUTS for name in sent)


def _stored_key_inputs(cursor, grouped, ids) -> dict[int, dict]:
    """The stored key inputs (match_key_inputs) of the customers whose rows send one."""
    return match_key_inputs(
        cursor,
        [
            ids[row.key]
            for sent, group in grouped.items()
            if _sends_key_inputs(sent)
            for row in group
        ],
    )


def _updated_keys(stored: dict, sent: tuple[str, ...], values: Sequence) -> tuple[str, ...]:
    """The match keys of a stored customer once the row's sent values are written (its
    default address as stored: a batch that changes it refreshes the keys after)."""
    return match_keys_after(stored, {k: v for k, v in _key_inputs(values).items() if k in sent})


def _values_update_sql(sent: tuple[str, ...], count: int) -> str:
    """_update_sql for a few rows given inline (VALUES), typed by the model's columns."""
    columns = ("id", *sent)
    casts = ", ".join(
        f"%s::{_FIELDS[name].db_type(connection) if name != 'id' else 'bigint'}" for name in columns
    )
    rows = ", ".join([f"({casts})"] * count)
    assignments = ", ".join(f"{name} = s.{name}" for name in sent)
    current = ", ".join(f"c.{name}" for name in sent)
    incoming = ", ".join(f"s.{name}" for name in sent)
    return (
        f"UPDATE customers_customer c SET {assignments}, updated_at = %s, "
        "version = c.version + 1 "
        f"FROM (VALUES {rows}) AS s({', '.join(columns)}) "
        "JOIN customers_customer o ON o.id = s.id "
        f"WHERE c.id = s.id AND ROW({current}) IS DISTINCT FROM ROW({incoming}) "
        f"RETURNING c.id, {_changed_names_sql(sent)}"
    )


def _postgresql_few_update(cursor, grouped, ids, now, changes) -> set[int]:
    """Update a few rows (an edit, a small upsert) without the staging table's COPY: one
    statement per set of sent columns."""
    changed: set[int] = set()
    for sent, group in grouped.items():
        if not sent:
            continue
        params = [now]
        for row in group:
            values = dict(zip(INSERTED, _insert_values(row, now), strict=True))
            params.append(ids[row.key])
            params.extend(
                _FIELDS[name].get_db_prep_value(values[name], connection) for name in sent
            )
        cursor.execute(_values_update_sql(sent, len(group)), params)
        changes.update(cursor.fetchall())
    changed.update(changes)
    return changed


def _postgresql_customers_update(
    cursor, rows, ids, now, changes, keyed, moved
) -> list[tuple[CleanRow, int, str]]:
    grouped = _by_sent_columns(rows)
    if len(rows) <= FEW_ROWS:
        changed = _postgresql_few_update(cursor, grouped, ids, now, changes)
        return [
            (row, ids[row.key], UPDATED if ids[row.key] in changed else UNCHANGED) for row in rows
        ]
    _stage_ensure(cursor)
    stored = _stored_key_inputs(cursor, grouped, ids)
    with postgresql.binary_copy(cursor, STAGE_TABLE, ("sent", "id", *INSERTED, *_KEYS)) as copy:
        for number, (sent, group) in enumerate(grouped.items()):
            for row in group:
                pk, values = ids[row.key], _insert_values(row, now)
                keys = _updated_keys(stored[pk], sent, values) if pk in stored else ()
                copy.write_row((number, pk, *values, *(keys or (None,) * len(_KEYS))))
                if keys:
                    before = tuple(stored[pk][name] for name in _KEYS)
                    moved.append((pk, stored[pk]["channel_id"], before, keys))
    keyed.update(stored)
    for number, sent in enumerate(grouped):
        if sent:
            cursor.execute(_update_sql(sent), [number])
            changes.update(cursor.fetchall())
    changed = set(changes)
    return [(row, ids[row.key], UPDATED if ids[row.key] in changed else UNCHANGED) for row in rows]


# --- SQLite and others ------------------------------------------------------------------------


def _sqlite_customers_write(rows, now, changes) -> list[tuple[CleanRow, int, str]]:
    status: dict[tuple[int, str], str] = {}
    names: dict[tuple[int, str], list[str]] = {}
    by_id = [row for row in rows if row.pk is not None]
    for row in by_id:
        names[row.key] = _sqlite_update_by_id(row, now)
        status[row.key] = UPDATED if names[row.key] else UNCHANGED
    for sent, group in _by_sent_columns([row for row in rows if row.pk is None]).items():
        existing = _existing_values(group, sent)
        changed = []
        for row in group:
            new = tuple(row.values[name] for name in sent)
            if row.key not in existing:
                status[row.key] = CREATED
            elif existing[row.key] != new:
                status[row.key] = UPDATED
                names[row.key] = _names_differing(sent, existing[row.key], new)
            else:
                status[row.key] = UNCHANGED
                continue
            changed.append(row)
        _sqlite_bulk_upsert(changed, sent, now)
    ids = _ids_by_key([row for row in rows if row.pk is None])
    ids.update((row.key, row.pk) for row in by_id)
    # bulk_create's ON CONFLICT can only write the values it is given: the updated rows'
    # versions are counted here, in the same IMMEDIATE transaction.
    updated = {ids[key] for key, done in status.items() if done == UPDATED}
    Customer.objects.filter(pk__in=updated).update(version=version_next())
    changes.update((ids[key], names[key]) for key, done in status.items() if done == UPDATED)
    return [(row, ids[row.key], status[row.key]) for row in rows]


def _names_differing(names, old, new) -> list[str]:
    return [name for name, before, after in zip(names, old, new, strict=True) if before != after]


def _sqlite_update_by_id(row: CleanRow, now) -> list[str]:
    """Write a row known by id (an edit: one customer at a time) unless nothing changes;
    return the names of the fields it changed."""
    sent = next(iter(_by_sent_columns([row])))
    values = dict(zip(INSERTED, _insert_values(row, now), strict=True))
    changes = {name: values[name] for name in sent}
    customers = Customer.objects.filter(pk=row.pk)
    if not sent or customers.filter(**changes).exists():
        return []
    old = customers.values_list(*sent).get()
    customers.update(**changes, updated_at=now)
    # The database said a value differs; Python's comparison names which (all if it cannot).
    return _names_differing(sent, old, tuple(changes.values())) or list(sent)


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


_COPY_PLANS: dict[type, postgresql.CopyPlan] = {}


def rows_bulk_insert(model, rows: list[dict]) -> list[int]:
    """Insert new rows given as {attname: value} (others get the field's default); return
    their ids. COPY on PostgreSQL, bulk_create elsewhere; plain dicts because model
    instances cost more than the COPY."""
    if not rows:
        return []
    if connection.vendor != "postgresql":
        objects = model.objects.bulk_create((model(**row) for row in rows), batch_size=500)
        return [instance.pk for instance in objects]
    if model not in _COPY_PLANS:
        _COPY_PLANS[model] = postgresql.CopyPlan(model)
    return _COPY_PLANS[model].insert(rows)


# --- addresses and memberships ----------------------------------------------------------------


def _of_customers(model, customer_ids: list[int], columns: tuple[str, ...]) -> list[tuple]:
    """Rows of a customer's child table for these customers, as tuples of `columns`."""
    if not customer_ids:
        return []
    if connection.vendor != "postgresql":
        return list(model.objects.filter(customer_id__in=customer_ids).values_list(*columns))
    return postgresql.fetchall(
        f"SELECT {', '.join(columns)} FROM {model._meta.db_table} "
        "WHERE customer_id = ANY(%s::bigint[])",
        [postgresql.id_array(customer_ids)],
    )


def _addresses_write(batch: BatchWritten, now) -> set[int]:
    """Add each row's addresses unless the customer has one with the same values; a row whose
    list is the customer's whole list (addresses_replace) replaces its addresses. Return the
    ids of the customers whose addresses changed."""
    replaced = {
        pk
        for row, pk, _ in batch.customers
        if row.addresses_replace and _address_list_replace(batch, row.addresses, pk, now)
    }
    with_addresses = [
        (row, pk, status)
        for row, pk, status in batch.customers
        if row.addresses and not row.addresses_replace
    ]
    batch.defaults_changed |= replaced
    if not with_addresses:
        return replaced
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
    new, unflag = _addresses_new(
        with_addresses, known, defaults, billings, now, batch.defaults_changed
    )
    for flag, ids in unflag.items():
        if ids:
            Address.objects.filter(pk__in=ids).update(
                **{flag: False}, updated_at=now, version=version_next()
            )
            batch.addresses_changed += ids
            for pk in ids:
                batch.addresses_fields_changed[pk].add(flag)
    ids = rows_bulk_insert(Address, new)
    batch.addresses_created += ids
    batch.addresses_of_created.update(_of_created(batch, ids, new))
    return replaced | {address["customer_id"] for address in new}


def _of_created(batch: BatchWritten, ids: list[int], rows: list[dict]) -> list[int]:
    """The ids of the inserted `rows` that belong to customers the batch created."""
    created = batch.created_ids()
    return [pk for pk, row in zip(ids, rows, strict=True) if row["customer_id"] in created]


_ADDRESS_BLANK = {
    **dict.fromkeys(ADDRESS_TEXT_FIELDS, ""),
    "is_default": False,
    "is_billing": False,
}
_ADDRESS_CONTENT = operator.itemgetter(*ADDRESS_TEXT_FIELDS)


def _addresses_new(with_addresses, known, defaults, billings, now, defaults_changed):
    """The addresses to insert and the ids of those losing a flag to them; existing
    customers getting a new default address are added to `defaults_changed`."""
    new: list[dict] = []
    unflag: dict[str, list[int]] = {"is_default": [], "is_billing": []}
    for row, customer_id, status in with_addresses:
        has_default = customer_id in defaults
        seen = known[customer_id]
        added: list[dict] = []
        for values in row.addresses:
            address = {**_ADDRESS_BLANK, **values}
            content = _ADDRESS_CONTENT(address)
            if content in seen:
                continue
            seen.add(content)
            address.update(customer_id=customer_id, created_at=now, updated_at=now)
            address["is_default"] = address_is_default(values, customer_has_default=has_default)
            for flag, holders in (("is_default", defaults), ("is_billing", billings)):
                if address[flag]:
                    if customer_id in holders:
                        unflag[flag].append(holders.pop(customer_id))
                    for earlier in added:
                        earlier[flag] = False
            has_default = has_default or address["is_default"]
            if address["is_default"] and status != CREATED:
                defaults_changed.add(customer_id)
            added.append(address)
        new.extend(added)
    return new, unflag


_ADDRESS_FLAGS = ("is_default", "is_billing")


def _address_list_replace(batch: BatchWritten, items: list[dict], customer_id: int, now) -> bool:
    """Make the customer's addresses exactly `items` (a PUT's or PATCH's `addresses`): an item
    with an "id" changes the fields it sends, one without is added, unlisted ones are deleted.
    Return whether anything changed.

    An edit writes one customer at a time, whose row the caller has locked, so this works
    address by address. Changed and added ids go to the batch for the history; deletions
    record theirs through delete()'s signals.
    """
    current = {
        address["id"]: address
        for address in Address.objects.filter(customer_id=customer_id).values(
            "id", *ADDRESS_TEXT_FIELDS, *_ADDRESS_FLAGS
        )
    }
    listed = {item["id"] for item in items if "id" in item}
    unlisted = [pk for pk in current if pk not in listed]
    if unlisted:
        events_emit(ADDRESS, ADDRESS_DELETED, unlisted, tombstone=True)
        Address.objects.filter(pk__in=unlisted).delete()
    final = [{**current.get(item.get("id"), _ADDRESS_BLANK), **item} for item in items]
    _address_flags_settle(final, items)
    changed = _addresses_flags_clear(final, current, now)
    for address in final:
        if "id" not in address:
            continue
        old = {**current[address["id"]], **dict.fromkeys(changed.get(address["id"], ()), False)}
        differ = {name: value for name, value in address.items() if old[name] != value}
        if differ:
            Address.objects.filter(pk=address["id"]).update(
                **differ, updated_at=now, version=version_next()
            )
            changed.setdefault(address["id"], []).extend(differ)
    batch.addresses_changed += list(changed)
    for pk, names in changed.items():
        batch.addresses_fields_changed[pk].update(names)
    added = [
        {**address, "customer_id": customer_id, "created_at": now, "updated_at": now}
        for address in final
        if "id" not in address
    ]
    ids = rows_bulk_insert(Address, added)
    batch.addresses_created += ids
    batch.addresses_of_created.update(_of_created(batch, ids, added))
    return bool(unlisted or changed or added)


def _address_flags_settle(final: list[dict], items: list[dict]) -> None:
    """One default and one billing address: the last item that sets a flag takes it from
    the others; with no default left, the first item that does not refuse it becomes it."""
    for flag in _ADDRESS_FLAGS:
        setting = [index for index, item in enumerate(items) if item.get(flag) is True]
        if setting:
            for index, address in enumerate(final):
                address[flag] = index == setting[-1]
    if not any(address["is_default"] for address in final):
        for address, item in zip(final, items, strict=True):
            if "is_default" not in item:
                address["is_default"] = True
                break


def _addresses_flags_clear(final, current, now) -> dict[int, list[str]]:
    """Clear the flags kept addresses lose first: the one-default and one-billing unique
    indexes are checked per statement. Return {address id: [cleared flags]}."""
    cleared: dict[int, list[str]] = defaultdict(list)
    for flag in _ADDRESS_FLAGS:
        losing = [
            address["id"]
            for address in final
            if "id" in address and current[address["id"]][flag] and not address[flag]
        ]
        if losing:
            Address.objects.filter(pk__in=losing).update(
                **{flag: False}, updated_at=now, version=version_next()
            )
            for pk in losing:
                cleared[pk].append(flag)
    return dict(cleared)


def _groups_write(batch: BatchWritten, now) -> set[int]:
    """Make each row's memberships exactly its `groups`; kept ones keep their flags and data.
    Return the ids of the customers whose memberships changed."""
    # A new customer without groups has nothing to add or remove.
    grouped = [
        (row, pk, status)
        for row, pk, status in batch.customers
        if row.groups is not None and (row.groups or status != CREATED)
    ]
    if not grouped:
        return set()
    wanted = {pk: set(row.groups) for row, pk, _ in grouped}
    checked = [pk for _, pk, status in grouped if status != CREATED]
    stale, current, changed = [], defaultdict(set), set()
    for pk, customer_id, group_id in _of_customers(
        UserCustomerGroup, checked, ("id", "customer_id", "group_id")
    ):
        current[customer_id].add(group_id)
        if group_id not in wanted[customer_id]:
            stale.append(pk)
            changed.add(customer_id)
    if stale:
        events_emit(MEMBERSHIP, MEMBERSHIP_REMOVED, stale, tombstone=True)
        # delete() sends each removal's post_delete signal: simple-history records it.
        UserCustomerGroup.objects.filter(pk__in=stale).delete()
    new = [
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
    ]
    batch.memberships_created = rows_bulk_insert(UserCustomerGroup, new)
    batch.memberships_of_created.update(_of_created(batch, batch.memberships_created, new))
    return changed | {membership["customer_id"] for membership in new}

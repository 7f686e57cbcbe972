"""Match keys: each customer's e-mail, phone, identification, name and address, normalised so
that two records of one person compare equal (duplicate candidates, the `duplicates` app).

The keys are computed here and nowhere else, in Python (E.164 needs the `phonenumbers`
library), and stored on the customer (`email_key`, `phone_key`, `identification_key`,
`name_key`, `address_key`; internal, not in the API). Every write path refreshes them for
the customers it touched (`customer_match_keys_refresh`: the import writer behind the API,
the admin and the commands, which also stores some keys with the row and hands them to
`customer_match_pairs_refresh`; the address services; anonymisation; a merge and its undo),
and with them the candidate pairs of the customers whose keys changed (customers.match_pairs),
in the same transaction. Migration 0015 fills whole tables by `customer_match_keys_backfill`,
in id batches; `seed_demo --fast` by `customer_match_keys_fill`, set-based.

The rules (conservative: a false match costs a wrong merge, a missed one only a candidate):
- e-mail: trimmed, lower case, the domain's IDN labels as punycode (`x@bücher.example` ==
  `x@xn--bcher-kva.example`). Dots and `+tags` are kept: only some providers ignore them.
- phone: E.164 (`+5511987654321`), parsed with the channel's country as the default region
  (`Channel.country`, else the one country of its currency, else none: only numbers written
  with `+` parse). A number that does not parse, or is not a possible number, has no key.
  `phone_secondary` is not keyed (it is rarely filled and often a shared line).
- identification: its digits; none when fewer than IDENTIFICATION_MIN_DIGITS.
- name: first and last name folded (no accents, lower case), non-letters dropped, words
  single-spaced; empty without a last name or first name.
- address: the default address's postcode (letters and digits, lower case) and house number,
  `postcode|number`; empty without a postcode. Street names are left out: "R." and "Rua"
  would never meet.
"""

import contextlib
import functools
import operator
import re
from collections.abc import Iterable, Sequence

import phonenumbers
from django.db import connection, transaction

from config.sql import id_array, text_array
from customers.match_pairs import REASON_KEYS, candidate_pairs_refresh
from customers.models import CUSTOMER_MATCH_KEY_FIELDS as KEY_FIELDS
from customers.models import Channel
from customers.search import fold

IDENTIFICATION_MIN_DIGITS = 5
# A channel whose country is blank takes its currency's country, where the currency has one.
CURRENCY_REGIONS = {
    "ARS": "AR", "AUD": "AU", "BRL": "BR", "CAD": "CA", "CHF": "CH", "CLP": "CL",
    "CNY": "CN", "COP": "CO", "CZK": "CZ", "DKK": "DK", "GBP": "GB", "INR": "IN",
    "JPY": "JP", "MXN": "MX", "NOK": "NO", "NZD": "NZ", "PEN": "PE", "PLN": "PL",
    "SEK": "SE", "USD": "US", "UYU": "UY", "ZAR": "ZA",
}  # fmt: skip
BACKFILL_BATCH = 5_000
# Distinct first and last names whose folded words are kept (a few MB at most).
NAME_CACHE_SIZE = 50_000
# Distinct (phone, region) pairs whose keys are kept (about 2 MB): enough for the repeated
# ones (shared lines, placeholders); most phones of a file are seen once.
PHONE_CACHE_SIZE = 10_000
_NON_DIGITS = re.compile(r"\D+")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_NON_LETTERS = re.compile(r"[^a-z]+")


def email_key(email: str) -> str:
    """The e-mail trimmed, lower-cased, its domain in punycode; "" when empty."""
    email = (email or "").strip().lower()
    if email.isascii():
        # IDNA leaves an ASCII domain as it is (or refuses it: then it is compared as written).
        return email
    local, at, domain = email.rpartition("@")
    if not at:
        return email
    # A domain that is no valid IDN is compared as written.
    with contextlib.suppress(UnicodeError):
        domain = domain.encode("idna").decode("ascii")
    return f"{local}@{domain}"


def channel_region(*, country: str, currency: str) -> str | None:
    """The default region phones of a channel are parsed with."""
    return country or CURRENCY_REGIONS.get(currency)


def phone_key(phone: str, region: str | None) -> str:
    """The phone in E.164, or "" when it does not parse as a possible number."""
    if not phone or not phone.strip():
        return ""
    return _phone_e164(phone, region)


@functools.lru_cache(maxsize=PHONE_CACHE_SIZE)
def _phone_e164(phone: str, region: str | None) -> str:
    """phone_key of a non-blank phone (cached: a `phonenumbers` parse is the costliest part
    of a new customer's keys, and shared lines and placeholder numbers repeat in a file)."""
    try:
        number = phonenumbers.parse(phone, region)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_possible_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def identification_key(identification: str) -> str:
    """The identification's digits; "" when there are fewer than IDENTIFICATION_MIN_DIGITS."""
    digits = _NON_DIGITS.sub("", identification or "")
    return digits if len(digits) >= IDENTIFICATION_MIN_DIGITS else ""


@functools.lru_cache(maxsize=NAME_CACHE_SIZE)
def _name_words(part: str) -> str:
    """One name folded, letters only, single-spaced (cached: an import's names repeat)."""
    return " ".join(_NON_LETTERS.sub(" ", fold(part or "").lower()).split())


def name_key(first_name: str, last_name: str) -> str:
    """First and last name folded, letters only, single-spaced; "" unless both are given."""
    first, last = _name_words(first_name), _name_words(last_name)
    return f"{first} {last}" if first and last else ""


def address_key(zipcode: str | None, number: str | None) -> str:
    """`postcode|number` of the default address, letters and digits only; "" without one."""
    postcode = _NON_ALNUM.sub("", (zipcode or "").lower())
    if not postcode:
        return ""
    return f"{postcode}|{_NON_ALNUM.sub('', (number or '').lower())}"


# The customer's own fields the keys are made of (the default address gives the last one).
KEY_INPUTS = ("email", "phone", "identification", "first_name", "last_name")
_KEY_INPUTS_OF = operator.itemgetter(*KEY_INPUTS)


def match_keys(row: dict) -> tuple[str, ...]:
    """The KEY_FIELDS of one customer from its stored values (see _SELECT_SQL)."""
    region = channel_region(country=row["country"], currency=row["currency"])
    return match_keys_of(row, region, row["zipcode"], row["number"])


def match_keys_of(
    values: dict, region: str | None, zipcode: str | None, number: str | None
) -> tuple[str, ...]:
    """The KEY_FIELDS of a customer with these KEY_INPUTS values, its channel's region and
    its default address's zipcode and number (None without one)."""
    return match_keys_of_inputs(_KEY_INPUTS_OF(values), region, zipcode, number)


def match_keys_of_inputs(
    inputs: Sequence[str], region: str | None, zipcode: str | None, number: str | None
) -> tuple[str, ...]:
    """match_keys_of with the KEY_INPUTS values given in their order (what the import's COPY
    row holds: no dict made per new customer)."""
    email, phone, identification, first_name, last_name = inputs
    return (
        email_key(email),
        phone_key(phone, region),
        identification_key(identification),
        name_key(first_name, last_name),
        address_key(zipcode, number),
    )


def match_keys_after(stored: dict, changes: dict) -> tuple[str, ...]:
    """The KEY_FIELDS of a stored customer (a match_key_inputs row) once `changes` (some of
    its KEY_INPUTS) are written: a key whose inputs keep their values keeps its stored value
    (a phone is parsed only when it changes)."""
    new = {**stored, **changes}
    keys = {name: stored[name] for name in KEY_FIELDS}

    def changed(*names: str) -> bool:
        return any(new[name] != stored[name] for name in names)

    if changed("email"):
        keys["email_key"] = email_key(new["email"])
    if changed("phone"):
        region = channel_region(country=stored["country"], currency=stored["currency"])
        keys["phone_key"] = phone_key(new["phone"], region)
    if changed("identification"):
        keys["identification_key"] = identification_key(new["identification"])
    if changed("first_name", "last_name"):
        keys["name_key"] = name_key(new["first_name"], new["last_name"])
    return tuple(keys[name] for name in KEY_FIELDS)


def channel_regions(channel_ids: Iterable[int]) -> dict[int, str | None]:
    """The phone region of each of these channels (channel_region)."""
    return {
        pk: channel_region(country=country, currency=currency)
        for pk, country, currency in Channel.objects.filter(pk__in=set(channel_ids)).values_list(
            "pk", "country", "currency"
        )
    }


def match_key_inputs(cursor, ids: Sequence[int]) -> dict[int, dict]:
    """What the keys of these customers are made of, as stored (PostgreSQL): {id: row} with
    the KEY_INPUTS, the channel's country and currency and the default address's zipcode
    and number, as match_keys takes them."""
    if not ids:
        return {}
    cursor.execute(_SELECT_SQL.format(where="c.id = ANY(%s::bigint[])", limit=""), [id_array(ids)])
    return {values[0]: dict(zip(_COLUMNS, values, strict=True)) for values in cursor.fetchall()}


# Plain SQL on table names, so migration 0015 can run it against the historical schema.
_SELECT_SQL = (
    "SELECT c.id, c.email, c.phone, c.identification, c.first_name, c.last_name, "
    "ch.country, ch.currency, a.zipcode, a.number, c.channel_id, c.merged_into_id, "
    "c.email_key, c.phone_key, c.identification_key, c.name_key, c.address_key "
    "FROM customers_customer c JOIN customers_channel ch ON ch.id = c.channel_id "
    "LEFT JOIN customers_address a ON a.customer_id = c.id AND a.is_default "
    "WHERE {where} ORDER BY c.id{limit}"
)
_COLUMNS = (
    "id", "email", "phone", "identification", "first_name", "last_name",
    "country", "currency", "zipcode", "number", "channel_id", "merged_into_id", *KEY_FIELDS,
)  # fmt: skip


def _keys_write(cursor, changed: list[tuple]) -> None:
    """Store (id, *keys) rows: one UPDATE from arrays on PostgreSQL, executemany elsewhere."""
    if not changed:
        return
    if cursor.db.vendor == "postgresql":
        ids, *keys = zip(*changed, strict=True)
        assignments = ", ".join(f"{name} = k.{name}" for name in KEY_FIELDS)
        cursor.execute(
            f"UPDATE customers_customer c SET {assignments} FROM unnest(%s::bigint[], "
            f"{', '.join(['%s::text[]'] * len(KEY_FIELDS))}) AS k(id, {', '.join(KEY_FIELDS)}) "
            "WHERE c.id = k.id",
            [id_array(ids), *map(text_array, keys)],
        )
        return
    assignments = ", ".join(f"{name} = %s" for name in KEY_FIELDS)
    cursor.executemany(
        f"UPDATE customers_customer SET {assignments} WHERE id = %s",
        [(*keys, pk) for pk, *keys in changed],
    )


def _changed(rows: Sequence[tuple], touched: "_Touched | None" = None) -> list[tuple]:
    """(id, *keys) of the rows (as _SELECT_SQL reads them) whose stored keys are stale. With
    `touched`, note the customers whose pairs may change there (see _Touched)."""
    changed = []
    for values in rows:
        row = dict(zip(_COLUMNS, values, strict=True))
        keys = match_keys(row)
        stored = tuple(row[name] for name in KEY_FIELDS)
        if keys != stored:
            changed.append((row["id"], *keys))
        if touched is not None and (keys != stored or touched.every):
            touched.ids.append(row["id"])
            _groups_add(touched.groups, row, keys, stored, touched.every)
    return changed


class _Touched:
    """The customers whose pairs a refresh redoes, with their key groups before and after
    (customers.match_pairs.candidate_pairs_refresh): those whose keys changed, or `every`
    one read (they were merged or given back: in or out of the pool, keys unchanged)."""

    def __init__(self, every: bool):
        self.every, self.ids = every, []
        self.groups: dict[str, dict] = {reason: {} for reason in REASON_KEYS}


def _groups_add(
    groups: dict[str, dict], row: dict, keys: tuple, stored: tuple, every: bool
) -> None:
    """The groups a customer left or joined (all of its groups with `every`), counting it in
    the one it is in now. A group it stays in is left out: its other members' pairs are
    the same before and after (were there more than GROUP_MAX of them with it, there were
    and are no pairs there; if not, they and it still are a group)."""
    member = row["merged_into_id"] is None
    for reason, name in REASON_KEYS.items():
        n, found = KEY_FIELDS.index(name), groups[reason]
        if keys[n] == stored[n] and not every:
            continue
        if stored[n]:
            found.setdefault((row["channel_id"], stored[n]), 0)
        if keys[n]:
            group = (row["channel_id"], keys[n])
            found[group] = found.get(group, 0) + member


def _refresh_where(
    cursor, where: str, params: Sequence, limit: int | None = None, touched=None
) -> list[int]:
    """Recompute the keys of the customers `where` selects; store those that changed; return
    the ids read."""
    limit_sql = f" LIMIT {limit:d}" if limit else ""
    cursor.execute(_SELECT_SQL.format(where=where, limit=limit_sql), params)
    rows = cursor.fetchall()
    _keys_write(cursor, _changed(rows, touched))
    return [values[0] for values in rows]


def customer_match_keys_refresh(ids: Sequence[int], *, using=None, merged: bool = False) -> None:
    """Recompute and store the match keys of these customers (after a write), then the
    candidate pairs of those whose keys changed (customers.match_pairs), in the caller's
    transaction. `merged`: they were merged or given back by an undo, so all their pairs."""
    db = using or connection
    ids = sorted(set(ids))
    touched = _Touched(every=merged)
    with db.cursor() as cursor:
        for start in range(0, len(ids), BACKFILL_BATCH):
            chunk = ids[start : start + BACKFILL_BATCH]
            if db.vendor == "postgresql":
                _refresh_where(
                    cursor, "c.id = ANY(%s::bigint[])", [id_array(chunk)], touched=touched
                )
            else:
                marks = ", ".join(["%s"] * len(chunk))
                _refresh_where(cursor, f"c.id IN ({marks})", chunk, touched=touched)
    candidate_pairs_refresh(touched.ids, touched.groups, using=db)


def customer_match_pairs_refresh(moves: Iterable[tuple], *, using=None) -> None:
    """The candidate pairs of customers whose keys a writer stored itself (the import's COPY
    and staged UPDATE): (id, channel_id, keys before or None for a new customer, keys now)
    of each; those whose keys changed are redone (candidate_pairs_refresh)."""
    touched, blank = _Touched(every=False), ("",) * len(KEY_FIELDS)
    for pk, channel_id, before, after in moves:
        before = before or blank
        if tuple(before) != tuple(after):
            touched.ids.append(pk)
            row = {"channel_id": channel_id, "merged_into_id": None}
            _groups_add(touched.groups, row, tuple(after), tuple(before), False)
    candidate_pairs_refresh(touched.ids, touched.groups, using=using)


def customer_match_groups(ids: Sequence[int], *, using=None) -> dict[str, dict]:
    """The key groups (per reason, (channel_id, key)) these customers are in: what a
    deletion takes them out of (candidate_pairs_refresh after it, none of them left)."""
    db = using or connection
    groups: dict[str, dict] = {reason: {} for reason in REASON_KEYS}
    columns = ", ".join(REASON_KEYS.values())
    with db.cursor() as cursor:
        for start in range(0, len(ids), BACKFILL_BATCH):
            chunk = list(ids[start : start + BACKFILL_BATCH])
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"SELECT channel_id, {columns} FROM customers_customer WHERE id IN ({marks})",
                chunk,
            )
            for channel_id, *values in cursor.fetchall():
                for reason, value in zip(REASON_KEYS, values, strict=True):
                    if value:
                        groups[reason][channel_id, value] = 0
    return groups


def _backfill_where(db, where: str, params: list, batch: int) -> None:
    """PostgreSQL: recompute the keys of the customers `where` selects in one read."""
    with (
        transaction.atomic(using=db.alias),
        db.chunked_cursor() as reader,
        db.cursor() as writer,
    ):
        reader.execute(_SELECT_SQL.format(where=where, limit=""), params)
        while rows := reader.fetchmany(batch):
            _keys_write(writer, _changed(rows))


def customer_match_keys_backfill(
    *, using=None, batch: int = BACKFILL_BATCH, channel_id: int | None = None
) -> None:
    """Recompute the match keys of every customer (of one channel), `batch` rows at a time.

    PostgreSQL reads every customer with its default address in one pass (a server-side
    cursor over one hash join: per-batch lookups of the addresses would each scan them when
    their index is absent, as during `seed_demo --fast`) and writes each batch's changes by
    one UPDATE; SQLite goes through the table in id order, `batch` rows per statement.
    """
    db = using or connection
    where, params = ("c.channel_id = %s", [channel_id]) if channel_id is not None else ("1 = 1", [])
    if db.vendor == "postgresql":
        _backfill_where(db, where, params, batch)
        return
    last = 0
    with db.cursor() as cursor:
        while True:
            read = _refresh_where(cursor, f"{where} AND c.id > %s", [*params, last], limit=batch)
            if len(read) < batch:
                return
            last = read[-1]


# Text every rule treats alike in SQL and in Python: printable ASCII (no whitespace in e-mails).
_ASCII = "'^[ -~]*$'"
_SQL_KEYED = (
    f"c.email ~ '^[!-~]*$' AND c.identification ~ {_ASCII} "
    f"AND coalesce(a.zipcode, '') ~ {_ASCII} AND coalesce(a.number, '') ~ {_ASCII}"
)
# The keys of the rows _SQL_KEYED selects, by the rules above: names and phones are keyed in
# Python once per distinct value (few beside the customers) and joined back.
_FILL_SQL = f"""
UPDATE customers_customer t SET email_key = k.email_key, phone_key = k.phone_key,
       identification_key = k.identification_key, name_key = k.name_key,
       address_key = k.address_key
  FROM (SELECT c.id, lower(c.email) AS email_key, coalesce(p.key, '') AS phone_key,
               CASE WHEN length(d.digits) >= {IDENTIFICATION_MIN_DIGITS} THEN d.digits ELSE ''
               END AS identification_key,
               CASE WHEN f.key <> '' AND l.key <> '' THEN f.key || ' ' || l.key ELSE ''
               END AS name_key,
               CASE WHEN z.postcode <> '' THEN z.postcode || '|' || z.number ELSE ''
               END AS address_key
          FROM customers_customer c
          JOIN customers_channel ch ON ch.id = c.channel_id
          LEFT JOIN customers_address a ON a.customer_id = c.id AND a.is_default
          LEFT JOIN pg_temp.match_names f ON f.part = c.first_name
          LEFT JOIN pg_temp.match_names l ON l.part = c.last_name
          LEFT JOIN pg_temp.match_phones p
                 ON p.phone = c.phone AND p.country = ch.country AND p.currency = ch.currency
          CROSS JOIN LATERAL (SELECT regexp_replace(c.identification, '[^0-9]+', '', 'g')
                              AS digits) d
          CROSS JOIN LATERAL (
              SELECT regexp_replace(lower(coalesce(a.zipcode, '')), '[^0-9a-z]+', '', 'g')
                     AS postcode,
                     regexp_replace(lower(coalesce(a.number, '')), '[^0-9a-z]+', '', 'g')
                     AS number) z
         WHERE {_SQL_KEYED}) k
 WHERE t.id = k.id
"""


def _fill_lookups(cursor) -> None:
    """Temporary tables of the keys of every distinct name and phone (with its channel's
    country and currency), computed in Python by the rules above."""
    # Dropped at commit; an enclosing transaction (a test's) may still hold the last ones.
    cursor.execute("DROP TABLE IF EXISTS pg_temp.match_names, pg_temp.match_phones")
    cursor.execute(
        "CREATE TEMPORARY TABLE match_names (part text PRIMARY KEY, key text) ON COMMIT DROP"
    )
    cursor.execute(
        "SELECT first_name FROM customers_customer UNION SELECT last_name FROM customers_customer"
    )
    parts = [row[0] for row in cursor.fetchall()]
    cursor.execute(
        "INSERT INTO match_names SELECT * FROM unnest(%s::text[], %s::text[])",
        [parts, [_name_words(part) for part in parts]],
    )
    cursor.execute(
        "CREATE TEMPORARY TABLE match_phones (phone text, country text, currency text, key text, "
        "PRIMARY KEY (phone, country, currency)) ON COMMIT DROP"
    )
    cursor.execute(
        "SELECT DISTINCT c.phone, ch.country, ch.currency FROM customers_customer c "
        "JOIN customers_channel ch ON ch.id = c.channel_id WHERE c.phone <> ''"
    )
    phones = cursor.fetchall()
    keys = [phone_key(phone, channel_region(country=co, currency=cu)) for phone, co, cu in phones]
    columns = [list(column) for column in zip(*phones, strict=True)] if phones else [[], [], []]
    cursor.execute(
        "INSERT INTO match_phones SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], "
        "%s::text[])",
        [*columns, keys],
    )


def customer_match_keys_fill(*, using=None) -> None:
    """Compute every customer's match keys set-based, the same as customer_match_keys_backfill
    (for `seed_demo --fast`, a million customers in minutes).

    PostgreSQL: one UPDATE … FROM for every customer whose e-mail, identification, postcode
    and house number are printable ASCII (where SQL's lower() and character classes agree with
    Python's), the distinct names and phones keyed in Python and joined in; the other
    customers go through the Python rules. SQLite: customer_match_keys_backfill.
    """
    db = using or connection
    if db.vendor != "postgresql":
        customer_match_keys_backfill(using=db)
        return
    with transaction.atomic(using=db.alias):
        with db.cursor() as cursor:
            _fill_lookups(cursor)
            cursor.execute(_FILL_SQL)
        _backfill_where(db, f"NOT ({_SQL_KEYED})", [], BACKFILL_BATCH)

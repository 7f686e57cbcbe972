"""Duplicate candidate pairs (CandidatePair), kept in step with the match keys.

A pair is two customers of one channel, neither merged into another, that share a match key
(customers.match_keys): `same_email` (email_key), `same_phone` (phone_key),
`same_identification` (identification_key), and `similar_name_same_address`: the same address
key with trigram-similar names on PostgreSQL (pg_trgm `similarity` at least NAME_SIMILARITY),
equal folded names on SQLite. A key shared by more than GROUP_MAX customers of a channel is a
placeholder (a shop's phone, "00000"), not a person, and pairs none of them: this also bounds
the pairs a key can make. A pair's score is the sum of its reasons' weights (REASON_WEIGHTS,
100 when all four agree); `reasons` is their bitmask (REASON_BITS).

The table is a derived index, written here only, in SQL (INSERT … SELECT over the keys'
indexes), in the transaction of the write that changed the keys, so a list of candidates is
a walk down an index that is never stale:
- `candidate_pairs_refresh` after the keys of some customers were written (the one writer,
  the address services, anonymisation, merge and undo, a deleted customer): the customers
  touched, and the untouched members of every key group they left or joined that now has
  at most GROUP_MAX other members (a group falling under the threshold gains its pairs, one
  crossing it loses them), lose their pairs and get the pairs they form now.
- `candidate_pairs_rebuild` recomputes the whole table, or one channel's share of it (a
  channel's country changed every phone key; migration, `duplicates_refresh`, seeding).
"""

from collections.abc import Iterable

import orjson
from django.db import connection, transaction

from config.database import advisory_xact_lock
from config.sql import id_array, text_array

SAME_EMAIL = "same_email"
SAME_PHONE = "same_phone"
SAME_IDENTIFICATION = "same_identification"
SIMILAR_NAME_SAME_ADDRESS = "similar_name_same_address"
REASON_WEIGHTS = {
    SAME_EMAIL: 35,
    SAME_IDENTIFICATION: 30,
    SAME_PHONE: 20,
    SIMILAR_NAME_SAME_ADDRESS: 15,
}
REASONS = tuple(REASON_WEIGHTS)
REASON_BITS = {name: 1 << n for n, name in enumerate(REASONS)}
REASON_KEYS = {
    SAME_EMAIL: "email_key",
    SAME_PHONE: "phone_key",
    SAME_IDENTIFICATION: "identification_key",
    SIMILAR_NAME_SAME_ADDRESS: "address_key",
}
GROUP_MAX = 10
NAME_SIMILARITY = 0.6
# Writers refreshing pairs queue on this lock until they commit (PostgreSQL): a pair joins
# two customers that two writers (the import's two connections, an edit beside an import)
# may each be changing. Without it, each deletes and inserts the other's pair rows from its
# own snapshot: they deadlock, or the later leaves a pair the earlier made stale.
PAIRS_LOCK = "customers.candidate_pairs"

# Plain SQL on table names, so a migration can run it against the historical schema.
_CUSTOMERS = "customers_customer"
_PAIRS = "customers_candidatepair"
_POOL = "merged_into_id IS NULL"

# A key group (channel, key) as it stands: its members, at most `limit` of them read. Every
# key comparison also says `NOT (key = '')`, the keys' partial indexes' own predicate: SQLite
# uses a partial index only for the very term it was declared with (`<> ''` does not match).
_GROUP_SIZE = (
    "(SELECT COUNT(*) FROM (SELECT 1 FROM customers_customer m WHERE m.channel_id = {g}.channel_id "
    "AND m.{key} = {g}.{key} AND NOT (m.{key} = '') AND m.merged_into_id IS NULL{extra} "
    "LIMIT {limit}) s)"
)


def reasons_of(bits: int) -> tuple[str, ...]:
    """The reasons of a pair's bitmask, in REASONS order."""
    return tuple(name for name in REASONS if bits & REASON_BITS[name])


def _name_match(vendor: str) -> str:
    if vendor == "postgresql":
        return f"similarity(a.name_key, b.name_key) >= {NAME_SIMILARITY}"
    return "a.name_key = b.name_key"


def _in(vendor: str, column: str, negated: bool = False) -> str:
    """`column` is (not) one of the ids of one parameter (an array; JSON on SQLite)."""
    if vendor == "postgresql":
        return f"NOT {column} = ANY(%s::bigint[])" if negated else f"{column} = ANY(%s::bigint[])"
    return f"{column} {'NOT IN' if negated else 'IN'} (SELECT value FROM json_each(%s))"


def _ids_param(vendor: str, ids: list[int]) -> str:
    """The ids as one parameter: an array literal on PostgreSQL (a Python list would be
    quoted element by element by the driver, thousands of times per batch), JSON on SQLite."""
    return id_array(ids) if vendor == "postgresql" else orjson.dumps(ids).decode()


def _reason_pairs(reason: str, vendor: str, groups: str, scope: str) -> str:
    """(channel_id, low, high, bit) rows of one reason: members of the `groups` (channel_id,
    key) that have 2 to GROUP_MAX members; `scope` a condition on a and b."""
    key, bit = REASON_KEYS[reason], REASON_BITS[reason]
    names = ""
    if reason == SIMILAR_NAME_SAME_ADDRESS:
        names = f" AND a.name_key <> '' AND b.name_key <> '' AND {_name_match(vendor)}"
    return (
        f"SELECT a.channel_id, a.id AS low, b.id AS high, {bit} AS bit FROM ({groups}) k "
        f"JOIN {_CUSTOMERS} a ON a.channel_id = k.channel_id AND a.{key} = k.{key} "
        f"AND NOT (a.{key} = '') AND a.{_POOL} "
        f"JOIN {_CUSTOMERS} b ON b.channel_id = k.channel_id AND b.{key} = k.{key} "
        f"AND NOT (b.{key} = '') AND b.{_POOL} AND b.id > a.id{names}{scope}"
    )


def _insert(union: str) -> str:
    weights = " ".join(f"WHEN {REASON_BITS[name]} THEN {w}" for name, w in REASON_WEIGHTS.items())
    return (
        f"INSERT INTO {_PAIRS} (channel_id, customer_low_id, customer_high_id, score, reasons) "
        f"SELECT r.channel_id, r.low, r.high, SUM(CASE r.bit {weights} END), SUM(r.bit) "
        f"FROM ({union}) r GROUP BY r.channel_id, r.low, r.high"
    )


def candidate_pairs_rebuild(*, using=None, channel_id: int | None = None) -> None:
    """Recompute every candidate pair (of one channel) from the stored match keys."""
    db = using or connection
    vendor, where, params = db.vendor, "", []
    if channel_id is not None:
        where, params = " AND channel_id = %s", [channel_id]
    parts = []
    for reason, key in REASON_KEYS.items():
        groups = (
            f"SELECT channel_id, {key} FROM {_CUSTOMERS} WHERE {_POOL} AND NOT ({key} = ''){where} "
            f"GROUP BY channel_id, {key} HAVING COUNT(*) BETWEEN 2 AND {GROUP_MAX}"
        )
        parts.append(_reason_pairs(reason, vendor, groups, ""))
    with transaction.atomic(using=db.alias), db.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_PAIRS}{' WHERE channel_id = %s' if where else ''}", params)
        cursor.execute(_insert(" UNION ALL ".join(parts)), params * len(parts))


def _untouched_members_sqlite(key: str) -> str:
    """SQLite: the untouched members of a group g, counted up to GROUP_MAX + 1 (it takes the
    touched ids: SQLite cannot take a LIMIT from the outer query; its NOT IN is one
    ephemeral index)."""
    extra = f" AND {_in('sqlite', 'm.id', negated=True)}"
    return _GROUP_SIZE.format(g="g", key=key, extra=extra, limit=GROUP_MAX + 1)


def _group_members_lateral(given: str, key: str) -> str:
    """PostgreSQL: the members of each given group (g.channel_id, g.<key>, g.touched) whose
    untouched members number at most GROUP_MAX, in one index probe per group: the LATERAL
    reads at most GROUP_MAX + 1 + touched members and counts them as it goes. A join of the
    groups with the table, filtered by a per-group count, was planned as scans of the whole
    table (per group, before the first ANALYZE of a table an import is filling: 74 s for the
    first 5,000-row batch into an empty table). A group of one member (or none) answers no
    row: it has no pairs, and its member, if untouched, has no pair that changed with it."""
    return (
        f"SELECT m.id, %s::text AS reason, g.channel_id, g.{key} FROM ({given}) g "
        f"CROSS JOIN LATERAL (SELECT s.id, COUNT(*) OVER () AS n FROM (SELECT c.id "
        f"FROM {_CUSTOMERS} c WHERE c.channel_id = g.channel_id AND c.{key} = g.{key} "
        f"AND NOT (c.{key} = '') AND c.{_POOL} LIMIT {GROUP_MAX + 1} + g.touched) s) m "
        f"WHERE m.n - g.touched <= {GROUP_MAX} AND m.n >= 2"
    )


def _widened(
    cursor, vendor: str, touched: list[int], groups: dict[str, dict]
) -> tuple[list[int], dict[str, set]]:
    """The touched ids and the untouched members of the groups that have at most GROUP_MAX
    untouched members (only their pairs may have come or gone with the touched customers'),
    and, per reason, the given groups known to make no pair now (PostgreSQL: the groups of
    one member or none, and those over GROUP_MAX; a new customer's keys are mostly its own)."""
    parts, params, pairless = [], [], {}
    for reason, key in REASON_KEYS.items():
        if not groups.get(reason):
            continue
        found = sorted((channel, value, n) for (channel, value), n in groups[reason].items())
        if vendor == "postgresql":
            given = (
                "SELECT * FROM unnest(%s::bigint[], %s::text[], %s::int[]) "
                f"AS g(channel_id, {key}, touched)"
            )
            channels, values, counts = zip(*found, strict=True)
            params += [reason, id_array(channels), text_array(values), id_array(counts)]
            parts.append(_group_members_lateral(given, key))
            pairless[reason] = set(groups[reason])
        else:
            given = (
                f"SELECT json_extract(value, '$[0]') AS channel_id, "
                f"json_extract(value, '$[1]') AS {key} FROM json_each(%s)"
            )
            params += [orjson.dumps(found).decode(), _ids_param(vendor, touched)]
            parts.append(
                f"SELECT c.id, NULL, NULL, NULL FROM ({given}) g JOIN {_CUSTOMERS} c "
                f"ON c.channel_id = g.channel_id AND c.{key} = g.{key} AND NOT (c.{key} = '') "
                f"AND c.{_POOL} WHERE {_untouched_members_sqlite(key)} <= {GROUP_MAX}"
            )
    if not parts:
        return touched, pairless
    cursor.execute(" UNION ALL ".join(parts), params)
    widened = set(touched)
    for member, *group in cursor.fetchall():
        widened.add(member)
        if group[0] is not None:
            pairless[group[0]].discard((group[1], group[2]))
    return sorted(widened), pairless


def candidate_pairs_refresh(
    touched: Iterable[int], groups: dict[str, dict[tuple[int, str], int]], *, using=None
) -> None:
    """Bring the pairs up to date after the keys (or the merge) of the `touched` customers
    changed; `groups` are, per reason, the (channel_id, key) groups they were in before the
    change and are in now (empty keys left out), each with the number of touched customers
    in it now (not merged)."""
    db = using or connection
    vendor, touched = db.vendor, sorted(set(touched))
    if not touched:
        return
    # Every statement below then reads what the previous refresh committed.
    advisory_xact_lock(PAIRS_LOCK, using=db)
    with db.cursor() as cursor:
        ids, pairless = _widened(cursor, vendor, touched, groups)
        param = _ids_param(vendor, ids)
        cursor.execute(
            f"DELETE FROM {_PAIRS} WHERE {_in(vendor, 'customer_low_id')} "
            f"OR {_in(vendor, 'customer_high_id')}",
            [param, param],
        )
        parts, params = [], []
        for reason, key in REASON_KEYS.items():
            # Each group of theirs counted once, however many of them are in it.
            size = _GROUP_SIZE.format(g="g", key=key, extra="", limit=GROUP_MAX + 1)
            # The groups the widening found pairless are left out before their size is read
            # (a hashed NOT IN; OFFSET 0 keeps the size's probe from being pushed under it).
            known, known_params = "", []
            if pairless.get(reason):
                channels, values = zip(*sorted(pairless[reason]), strict=True)
                known = (
                    f" AND (c.channel_id, c.{key}) NOT IN (SELECT * FROM "
                    "unnest(%s::bigint[], %s::text[])) OFFSET 0"
                )
                known_params = [id_array(channels), text_array(values)]
            groups_sql = (
                f"SELECT g.channel_id, g.{key} FROM (SELECT DISTINCT c.channel_id, c.{key} "
                f"FROM {_CUSTOMERS} c WHERE {_in(vendor, 'c.id')} AND c.{_POOL} "
                f"AND NOT (c.{key} = ''){known}) g WHERE {size} BETWEEN 2 AND {GROUP_MAX}"
            )
            scope = f" WHERE ({_in(vendor, 'a.id')} OR {_in(vendor, 'b.id')})"
            parts.append(_reason_pairs(reason, vendor, groups_sql, scope))
            params += [param, *known_params, param, param]
        cursor.execute(_insert(" UNION ALL ".join(parts)), params)

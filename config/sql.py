"""Array literals for PostgreSQL: thousands of ids or keys as one parameter, not one each."""

from collections.abc import Iterable


def id_array(ids: Iterable[int]) -> str:
    """A bigint[] literal, for `= ANY(%s::bigint[])`."""
    return "{" + ",".join(map(str, ids)) + "}"


def text_array(values: Iterable[str]) -> str:
    """A text[] literal with every element quoted, for `unnest(%s::text[])`."""
    quoted = [value.replace("\\", "\\\\").replace('"', '\\"') for value in values]
    return '{"' + '","'.join(quoted) + '"}' if quoted else "{}"

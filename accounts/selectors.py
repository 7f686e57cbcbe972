"""Named reads of API keys."""

import functools

from django.db import connections
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import ApiKey


def api_key_list(*, username: str | None = None) -> QuerySet[ApiKey]:
    """Return the API keys, with their users, of one user or of everyone."""
    keys = ApiKey.objects.select_related("user").order_by("user__username", "name")
    if username is not None:
        keys = keys.filter(user__username=username)
    return keys


def api_key_is_expired(api_key: ApiKey, *, now=None) -> bool:
    """Tell whether the key's expiry has passed (keys without one never expire)."""
    return api_key.expiry is not None and api_key.expiry <= (now or timezone.now())


def api_keys_of_prefix(token_key: str, *, using: str) -> list[ApiKey]:
    """The keys whose first characters are `token_key`, each with its user: what
    `ApiKey.objects.filter(token_key=…).select_related("user")` returns, from a statement
    compiled once per database. Every API request asks this; compiling the ORM's join cost
    0.3 ms of a request's 0.8 ms authentication (bench/RESULTS.md, "Reads' fixed cost,
    sixth pass")."""
    lookup = _prefix_lookup(using)
    with connections[using].cursor() as cursor:
        cursor.execute(lookup.sql, [token_key])
        rows = cursor.fetchall()
    return [lookup.build(row) for row in rows]


# Stands for the key prefix while the statement is compiled; never sent.
_PREFIX_PLACEHOLDER = "key-prefix-placeholder"


class _PrefixLookup:
    """The ORM's own compiled statement, converters and row layout for api_keys_of_prefix."""

    def __init__(self, using: str):
        queryset = ApiKey.objects.using(using).select_related("user")
        compiler = queryset.filter(token_key=_PREFIX_PLACEHOLDER).query.get_compiler(using)
        self.sql, params = compiler.as_sql()
        if list(params) != [_PREFIX_PLACEHOLDER]:
            raise AssertionError(f"the key lookup takes one parameter, not {params!r}")
        self.using, self.select = using, compiler.select
        self.converters = compiler.get_converters([column for column, _, _ in compiler.select])
        user_info = compiler.klass_info["related_klass_infos"][0]
        self.key_part = self._part(compiler.klass_info["select_fields"])
        self.user_part = self._part(user_info["select_fields"])
        self.user_field = user_info["field"]

    def _part(self, indexes: list[int]) -> tuple[list[int], list[str]]:
        return indexes, [self.select[i][0].target.attname for i in indexes]

    def _converted(self, row) -> list:
        """The row's values as the ORM reads them (its compiler's apply_converters, with this
        thread's connection)."""
        connection, row = connections[self.using], list(row)
        for position, (functions, expression) in self.converters.items():
            value = row[position]
            for convert in functions:
                value = convert(value, expression, connection)
            row[position] = value
        return row

    def build(self, row) -> ApiKey:
        row = self._converted(row)
        (key_at, key_names), (user_at, user_names) = self.key_part, self.user_part
        user_model = self.user_field.related_model
        user = user_model.from_db(self.using, user_names, [row[i] for i in user_at])
        api_key = ApiKey.from_db(self.using, key_names, [row[i] for i in key_at])
        self.user_field.set_cached_value(api_key, user)
        return api_key


@functools.cache
def _prefix_lookup(using: str) -> _PrefixLookup:
    return _PrefixLookup(using)

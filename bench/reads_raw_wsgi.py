"""The raw floor of bench/reads_bench.py: the customer list page and detail as one SQL query
each, written by orjson, under the same gunicorn as Patron. No Django: no auth, no
middleware, no throttle, no count; it is a floor, not an equivalent.

    DATABASE_URL=postgres://... gunicorn bench.reads_raw_wsgi:application
"""

import os
import threading
from urllib.parse import parse_qs

import orjson
import psycopg
from psycopg.rows import dict_row

# Each customer with its channel code, addresses and group codes, in one statement.
PAGE_SQL = """
SELECT c.*, ch.code AS channel,
  (SELECT coalesce(json_agg(a ORDER BY a.id), '[]') FROM customers_address a
    WHERE a.customer_id = c.id) AS addresses,
  (SELECT coalesce(json_agg(g.code ORDER BY g.code), '[]') FROM groups_usercustomergroup m
    JOIN groups_usergroup g ON g.id = m.group_id WHERE m.customer_id = c.id) AS groups
FROM customers_customer c JOIN customers_channel ch ON ch.id = c.channel_id
"""
LIST_SQL = PAGE_SQL + " ORDER BY c.id LIMIT %s"
DETAIL_SQL = PAGE_SQL + " WHERE c.id = %s"

_local = threading.local()


def _cursor():
    connection = getattr(_local, "connection", None)
    if connection is None or connection.closed:
        connection = _local.connection = psycopg.connect(
            os.environ["DATABASE_URL"], autocommit=True, row_factory=dict_row
        )
    return connection.cursor()


def _rows(sql: str, params: list) -> list[dict]:
    with _cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    for row in rows:
        row.pop("password", None)
    return rows


def application(environ, start_response):
    path = environ["PATH_INFO"].rstrip("/").split("/")
    if path[-1].isdigit():
        rows = _rows(DETAIL_SQL, [int(path[-1])])
        body = orjson.dumps(rows[0], default=str) if rows else b"{}"
    else:
        query = parse_qs(environ.get("QUERY_STRING", ""))
        per_page = int(query.get("per_page", ["50"])[0])
        body = orjson.dumps({"results": _rows(LIST_SQL, [per_page])}, default=str)
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]

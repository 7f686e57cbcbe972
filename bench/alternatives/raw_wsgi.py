"""The raw floor over HTTP: one SQL query per request, rows written by orjson, no framework.

`gunicorn bench.alternatives.raw_wsgi --config python:config.gunicorn`; GET /customers/ answers
customers page 1 (50 rows by id, with the channel code and the addresses), GET /healthz "ok".
One psycopg connection per gunicorn thread. No authentication, no count: it is the floor.
"""

import os
import threading

import orjson
import psycopg

PAGE = """
SELECT coalesce(json_agg(row_to_json(page)), '[]') FROM (
  SELECT c.id, ch.code AS channel, c.email, c.username, c.first_name, c.last_name, c.company,
    c.phone, c.phone_secondary, c.identification, c.note, c.status, c.gender, c.user_type,
    c.date_of_birth, c.date_joined, c.email_allowed, c.sms_allowed, c.call_allowed,
    c.discount_percent, c.preferred_shipping_method, c.erp_code, c.channel_code, c.attributes,
    c.extra_field, c.orders_count, c.total_spent, c.total_spent_currency, c.first_order_at,
    c.last_order_at, c.last_order_id, c.created_at, c.updated_at, c.version,
    (SELECT coalesce(json_agg(a ORDER BY a.id), '[]') FROM customers_address a
      WHERE a.customer_id = c.id) AS addresses
  FROM customers_customer c JOIN customers_channel ch ON ch.id = c.channel_id
  ORDER BY c.id LIMIT 50
) page
"""
_local = threading.local()


def _connection() -> psycopg.Connection:
    if getattr(_local, "connection", None) is None:
        _local.connection = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
    return _local.connection


def application(environ, start_response):
    if environ["PATH_INFO"] == "/healthz":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]
    rows = _connection().execute(PAGE).fetchone()[0]
    body = orjson.dumps({"results": rows})
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]

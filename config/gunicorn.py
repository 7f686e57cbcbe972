"""Gunicorn settings for `make serve` and bench/api_bench.py, read from the environment.

Threaded workers: a request mostly waits on PostgreSQL, so a few threads per process keep both
cores busy; the psycopg pool (DB_POOL=1) hands each thread an open connection.
"""

import os

bind = os.environ.get("BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
keepalive = int(os.environ.get("WEB_KEEPALIVE", "30"))
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "0"))
max_requests_jitter = max_requests // 10
preload_app = True
accesslog = os.environ.get("ACCESS_LOG") or None
# The path without its query string (%(U)s, not the request line %(r)s) and no Referer: both
# can carry tokens (a set-password link, filters holding e-mail addresses).
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)s'
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# The request line is the method, the URL and the protocol: room for the longest URL the app
# takes (API_MAX_URL_LENGTH; the app answers 414 naming it just past), within gunicorn's 8190.
limit_request_line = min(
    8190, int(os.environ.get("API_MAX_URL_LENGTH", "8000")) + len("OPTIONS  HTTP/1.1")
)

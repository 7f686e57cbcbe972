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

# --- operability ---
# With metrics on, every worker writes its samples to files in one directory that /metrics
# reads whole (prometheus_client's multiprocess mode), so a scrape counts every worker's
# requests whichever worker answers it. It must be set before prometheus_client is imported
# (the app is preloaded after this file is read); a fresh directory per server start.
if os.environ.get("METRICS_ENABLED", "0").lower() in ("1", "true", "yes", "on"):
    import tempfile

    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="patron-metrics-"))


def child_exit(server, worker):
    """Keep a stopped worker's counters but drop its live gauges (multiprocess mode)."""
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)

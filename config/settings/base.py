"""Patron settings, read from the environment (see the README's configuration table).

Defaults are production-safe: DEBUG is off unless asked for, and then a real SECRET_KEY is
required and cookies, HSTS and redirects are locked down.
"""

import copy
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from config import database as _database
from config.logs import logging_config, structlog_configure
from config.metrics import metrics_settings_check

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

_DEV_SECRET_KEY = "dev-only-secret-key-never-use-in-production-0123456789abcdef"
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY or (not DEBUG and SECRET_KEY == _DEV_SECRET_KEY):
    raise ImproperlyConfigured("Set SECRET_KEY (or DEBUG=1 for local development).")

PORT = env.int("PORT", default=8000)

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "customers.apps.PatronAdminConfig",  # django.contrib.admin with the dashboard
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "django_tasks",
    "django_tasks_db",
    "django_rq",
    "customers",
    "groups",
    "orders",
    "idempotency",
    "events",
    "jobs",
    "compat",
    "webhooks",
    "merges",
    "duplicates",
    # --- credentials ---
    "knox",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "accounts",
]

MIDDLEWARE = [
    "config.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Accept-Language picks the language of the admin and of API messages (README "Languages
    # and time zones"). Early, so the request bounds and every later refusal speak it; it reads
    # no session (Django keeps the chosen language in a cookie).
    "django.middleware.locale.LocaleMiddleware",
    "config.replicas.ReplicaReadsMiddleware",
    "config.middleware.RejectNulMiddleware",
    "config.middleware.ApiTrailingSlashMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # --- credentials ---
    "accounts.two_factor.StaffTwoFactorMiddleware",  # --- credentials ---
    "django.contrib.messages.middleware.MessageMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # --- credentials --- (last, as django-axes asks)
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work during a write; IMMEDIATE makes writers queue instead of failing
    # with "database is locked" when two requests write at once.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Some indexes carry extra columns (INCLUDE) so PostgreSQL counts from the index alone;
    # SQLite builds them without those columns, which changes nothing it answers.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
elif env.bool("DB_POOL", default=False):
    # psycopg 3's pool (Django 5.1+): each worker process keeps DB_POOL_MAX_SIZE connections
    # open and lends one per request; it replaces persistent connections, which must be off.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DB_POOL_MIN_SIZE", default=2),
        "max_size": env.int("DB_POOL_MAX_SIZE", default=8),
        "timeout": env.int("DB_POOL_TIMEOUT", default=10),
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# Read replicas: DATABASE_REPLICA_URLS=postgres://...,postgres://... (PostgreSQL streaming
# replicas of DATABASE_URL). The reads of GET/HEAD/OPTIONS requests go to one of them, unless the
# client wrote in the last REPLICA_STICKY_SECONDS; see config/replicas.py.
DATABASE_REPLICA_URLS = env.list("DATABASE_REPLICA_URLS", default=[])
REPLICA_STICKY_SECONDS = env.int("REPLICA_STICKY_SECONDS", default=5)
if DATABASE_REPLICA_URLS and DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    raise ImproperlyConfigured("DATABASE_REPLICA_URLS needs PostgreSQL as DATABASE_URL.")
for _number, _url in enumerate(DATABASE_REPLICA_URLS, start=1):
    _replica = copy.deepcopy(DATABASES["default"])  # the same pooling and health checks
    _parsed = environ.Env.db_url_config(_url)
    _replica.update({key: _parsed[key] for key in ("NAME", "USER", "PASSWORD", "HOST", "PORT")})
    _replica.setdefault("OPTIONS", {}).update(_parsed.get("OPTIONS", {}))
    # A test run reads the primary's test database through this alias.
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES[f"replica_{_number}"] = _replica
DATABASE_ROUTERS = ["config.replicas.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Throttle counters live here, shared by every worker and server: by default in the database
# (a table made by `createcachetable`, run by `make migrate` and `make serve`), or in Redis with
# CACHE_URL=redis://127.0.0.1:6379/1. A local-memory cache would count per process.
CACHES = {"default": env.cache_url("CACHE_URL", default="dbcache://patron_cache")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache":
    # The same table, written without waiting for a WAL flush (config/cache.py).
    CACHES["default"]["BACKEND"] = "config.cache.DatabaseCache"
    # Past this many entries the cache culls live ones too, throttle counters included.
    CACHES["default"].setdefault("OPTIONS", {}).setdefault(
        "MAX_ENTRIES", env.int("CACHE_MAX_ENTRIES", default=100_000)
    )

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
# --- credentials ---
# Console e-mails go to the server log: print them without their links' tokens.
if EMAIL_CONFIG["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend":
    EMAIL_BACKEND = "config.mail.RedactingConsoleEmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Patron <no-reply@localhost>")
# Where Patron is reached from outside (links in e-mails); default: this machine's PORT.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default=f"http://127.0.0.1:{PORT}").rstrip("/")
# Base of the set-password link sent in invitations (the storefront's page), for channels
# without a set_password_url of their own: ?channel=&uid=&token= are appended.
PASSWORD_SET_URL = env.str("PASSWORD_SET_URL", default=f"{PUBLIC_BASE_URL}/set-password/")
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3 * 24 * 3600)

# Webhooks (README "Webhooks"): deliveries go to public addresses only unless this is on (a
# receiver on this machine or the private network); every attempt is bounded by the two timeouts;
# a failing delivery is retried for WEBHOOK_RETRY_SPAN seconds, and a subscription failing for
# WEBHOOK_DISABLE_AFTER seconds is disabled (staff get an e-mail).
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=False)
WEBHOOK_CONNECT_TIMEOUT = env.float("WEBHOOK_CONNECT_TIMEOUT", default=5.0)
WEBHOOK_READ_TIMEOUT = env.float("WEBHOOK_READ_TIMEOUT", default=10.0)
WEBHOOK_RETRY_SPAN = env.int("WEBHOOK_RETRY_SPAN", default=3 * 24 * 3600)
WEBHOOK_DISABLE_AFTER = env.int("WEBHOOK_DISABLE_AFTER", default=3 * 24 * 3600)
# Seconds before each retry (the last repeats until WEBHOOK_RETRY_SPAN is over), each with
# +/-20% jitter; a comma-separated list, e.g. WEBHOOK_RETRY_SCHEDULE=5,20,120.
WEBHOOK_RETRY_SCHEDULE = env.list(
    "WEBHOOK_RETRY_SCHEDULE", cast=float, default=[5, 20, 120, 600, 1800, 3600, 7200, 14400, 28800]
)
if not WEBHOOK_RETRY_SCHEDULE or min(WEBHOOK_RETRY_SCHEDULE) <= 0:
    raise ImproperlyConfigured("WEBHOOK_RETRY_SCHEDULE: give one or more positive seconds.")
# A worker attempting a delivery holds it for both timeouts plus this margin (seconds); past
# that (the worker died mid-attempt) the sweep hands the delivery to another worker.
WEBHOOK_LEASE_MARGIN = env.float("WEBHOOK_LEASE_MARGIN", default=60.0)
# The sweep re-queues deliveries due for this long (seconds) that no worker holds: their task
# was lost with a worker, a broker or a backend that cannot defer.
WEBHOOK_SWEEP_GRACE = env.float("WEBHOOK_SWEEP_GRACE", default=60.0)
# Deliveries (and their attempt log) older than this are purged hourly by the scheduler.
WEBHOOK_DELIVERY_RETENTION_DAYS = env.int("WEBHOOK_DELIVERY_RETENTION_DAYS", default=30)

# Uploaded import files, export results and error reports of background jobs (jobs app),
# in Django's default storage. Never served as static media: the jobs admin hands them out
# to the staff who may see the job. Workers on other machines need the same storage (a
# shared volume here, or an object store through STORAGES).
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(BASE_DIR / "media"))

# Background jobs run on Django's Tasks API (the django-tasks backport). TASK_BACKEND picks
# the engine: "database" (default: the task queue is a table, `manage.py db_worker` runs it)
# or "rq" (Redis Queue on REDIS_URL, `manage.py rqworker`, as many workers on as many
# machines as needed). "immediate" runs each task inside the request (tests, debugging).
TASK_BACKEND = env.str("TASK_BACKEND", default="database")
TASK_QUEUE = env.str("TASK_QUEUE", default="default")
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
_TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "rq": "django_tasks_rq.RQBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
if TASK_BACKEND not in _TASK_BACKENDS:
    raise ImproperlyConfigured(
        f"TASK_BACKEND={TASK_BACKEND!r}: choose one of {', '.join(_TASK_BACKENDS)}."
    )
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[TASK_BACKEND], "QUEUES": [TASK_QUEUE]}}
# django-rq's queues (used by TASK_BACKEND=rq); a job that runs longer than this is killed.
RQ_QUEUES = {
    TASK_QUEUE: {
        "URL": REDIS_URL,
        "DEFAULT_TIMEOUT": env.int("TASK_TIMEOUT", default=6 * 3600),
    }
}
# A running job's worker writes its heartbeat every JOB_HEARTBEAT_SECONDS; a job silent for
# JOB_STALE_AFTER seconds lost its worker and is marked failed (staff start it again).
JOB_HEARTBEAT_SECONDS = env.float("JOB_HEARTBEAT_SECONDS", default=30.0)
JOB_STALE_AFTER = env.float("JOB_STALE_AFTER", default=600.0)
# `manage.py run_scheduler`: the sweep (lost webhook deliveries, stale jobs) runs this often;
# the purges (events, old deliveries) hourly.
SCHEDULER_SWEEP_SECONDS = env.float("SCHEDULER_SWEEP_SECONDS", default=30.0)

# History is read per object (by its id); an index on history_date would slow every write.
SIMPLE_HISTORY_DATE_INDEX = False

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
# The languages of the admin, API messages and customer e-mails; translations of Patron's own
# text are in locale/ (compiled by `make messages`), Django's and DRF's come with them.
LANGUAGES = [("en", "English"), ("pt-br", "Português (Brasil)"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))

# Bodies larger than this are refused before parsing (import files go through commands).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=10 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiKeyAuthentication",  # --- credentials ---
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["config.rest.ModelPermissions"],
    # orjson writes the same bytes as DRF's JSONRenderer, several times faster.
    "DEFAULT_RENDERER_CLASSES": [
        "config.rest.FastJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PAGINATION_CLASS": "config.rest.PagePagination",
    "PAGE_SIZE": 50,
    "DEFAULT_PARSER_CLASSES": ["config.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": [
        "config.filtering.FilterBackend",
        "config.rest.StrictOrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "config.schema.AutoSchema",
    "EXCEPTION_HANDLER": "config.exceptions.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["config.throttling.ApiUserThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "api_user": env.str("API_THROTTLE_RATE", default="6000/min"),
        "customer_auth": env.str("AUTH_THROTTLE_RATE", default="10/min"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

# --- credentials ---
# Staff sign-in: django-axes locks a user name out of the admin from one address after
# AXES_FAILURE_LIMIT wrong passwords for AXES_COOLOFF_MINUTES (counted in the database, so all
# workers and servers agree); `manage.py axes_reset_username NAME` lifts it early. TOTP codes
# (django-otp) are required after the password when STAFF_REQUIRE_2FA is on.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
STAFF_REQUIRE_2FA = env.bool("STAFF_REQUIRE_2FA", default=not DEBUG)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Patron")
# API keys (accounts app, django-rest-knox): stored as SHA-512 digests, shown once, valid for
# API_KEY_EXPIRY_DAYS (0: no expiry). The prefix lets secret scanners recognise a leaked key.
API_KEY_EXPIRY_DAYS = env.int("API_KEY_EXPIRY_DAYS", default=365)
KNOX_TOKEN_MODEL = "accounts.ApiKey"
# knox's own migrations would create its unused AuthToken table (they ignore the swap), whose
# foreign key to auth_user then blocks TRUNCATE; without them no table is made for it.
MIGRATION_MODULES = {"knox": None}
REST_KNOX = {
    "TOKEN_MODEL": KNOX_TOKEN_MODEL,
    "TOKEN_PREFIX": "patron_",
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}

# The outbox (events app): every write records its events in its own transaction.
EVENTS_ENABLED = env.bool("EVENTS_ENABLED", default=True)
EVENTS_RETENTION_DAYS = env.int("EVENTS_RETENTION_DAYS", default=30)
# An admin import upload that was previewed but never imported, and a preview's reports, are
# deleted by the scheduler's hourly purge once this old (jobs.services.uploads_purge).
IMPORT_PREVIEW_RETENTION_HOURS = env.int("IMPORT_PREVIEW_RETENTION_HOURS", default=24)
# A finished job's files (upload, export, report: customers' personal data) are deleted by the
# same purge this many days after it finished; the job stays (jobs.services.job_files_purge).
# 0 keeps them.
JOB_FILE_RETENTION_DAYS = env.int("JOB_FILE_RETENTION_DAYS", default=30)
# How long a customer merge can be undone (merges.services.merge_undo), in days.
MERGE_UNDO_DAYS = env.int("MERGE_UNDO_DAYS", default=90)

SPECTACULAR_SETTINGS = {
    "TITLE": "Patron API",
    "DESCRIPTION": "Customer master data for online stores: customers, addresses, groups, "
    "orders and their statistics.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.schema.responses_optional_properties",
        "config.schema.operations_have_summaries",
    ],
    # Swagger UI and ReDoc from drf-spectacular-sidecar's static files, not a CDN (config.docs).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No badge fetched from the public validator.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "ENUM_NAME_OVERRIDES": {
        "CustomerStatusEnum": "customers.models.CustomerStatus",
        "OrderStatusEnum": "orders.models.OrderStatus",
        "GroupVisibilityEnum": "groups.models.Visibility",
    },
}

# --- operability ---
# Logs: one JSON object per line on stderr (timestamp, level, logger, event, request_id, ...),
# for Django's records and structlog's alike (config/logs.py). OTEL_ENABLED turns on tracing
# (config/tracing.py) and adds trace and span ids to every line.
OTEL_ENABLED = env.bool("OTEL_ENABLED", default=False)
structlog_configure(with_trace_ids=OTEL_ENABLED)
LOGGING = logging_config(
    level=env.str("LOG_LEVEL", default="INFO"),
    request_level=env.str("REQUEST_LOG_LEVEL", default="INFO"),
    with_trace_ids=OTEL_ENABLED,
)

# Prometheus metrics at /metrics (config/metrics.py), only when asked for, and never open to
# all: METRICS_TOKEN (bearer) and/or METRICS_ALLOWED_IPS, each one required when set.
METRICS_ENABLED = env.bool("METRICS_ENABLED", default=False)
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=[])
if METRICS_ENABLED:
    metrics_settings_check(token=METRICS_TOKEN, allowed_ips=METRICS_ALLOWED_IPS)
    INSTALLED_APPS.append("django_prometheus")
    MIDDLEWARE.insert(1, "django_prometheus.middleware.PrometheusBeforeMiddleware")
    MIDDLEWARE.append("django_prometheus.middleware.PrometheusAfterMiddleware")
# --- end operability ---

if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # Probes and scrapers reach the app directly, over plain HTTP (--- operability ---).
    SECURE_REDIRECT_EXEMPT = [r"^healthz(/live|/ready)?$", r"^metrics$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"

# Bounded cost (README "Configuration", SECURITY.md "Bounded cost"): statements of a request are
# cancelled after REQUEST_STATEMENT_TIMEOUT_MS and run without JIT or parallel workers
# (REQUEST_PARALLEL_WORKERS); those of a management command
# (imports, exports, task workers) after COMMAND_STATEMENT_TIMEOUT_MS (0: never). A database that
# is down or cancels a statement answers 503 with Retry-After: DATABASE_RETRY_AFTER seconds.
REQUEST_STATEMENT_TIMEOUT_MS = env.int("REQUEST_STATEMENT_TIMEOUT_MS", default=5000)
# Parallel workers one statement of a request may start (PostgreSQL's own default is 2).
REQUEST_PARALLEL_WORKERS = env.int("REQUEST_PARALLEL_WORKERS", default=0)
COMMAND_STATEMENT_TIMEOUT_MS = env.int("COMMAND_STATEMENT_TIMEOUT_MS", default=0)
DATABASE_RETRY_AFTER = env.int("DATABASE_RETRY_AFTER", default=5)
for _alias in DATABASES:  # the primary and its read replicas alike
    _database.database_session_configure(
        DATABASES[_alias],
        request_timeout_ms=REQUEST_STATEMENT_TIMEOUT_MS,
        command_timeout_ms=COMMAND_STATEMENT_TIMEOUT_MS,
        serves_requests=_database.process_serves_requests(),
        request_parallel_workers=REQUEST_PARALLEL_WORKERS,
    )
MIDDLEWARE.insert(1, "config.middleware.DatabaseFailureMiddleware")

# Caps on one API request (config/request_bounds.py): filter values (comma-separated items and
# repeated parameters, all parameters together), words in `q`, and the URL's length (414).
API_MAX_FILTER_VALUES = env.int("API_MAX_FILTER_VALUES", default=500)
API_MAX_SEARCH_WORDS = env.int("API_MAX_SEARCH_WORDS", default=10)
API_MAX_URL_LENGTH = env.int("API_MAX_URL_LENGTH", default=8000)
MIDDLEWARE.insert(
    MIDDLEWARE.index("config.middleware.RejectNulMiddleware") + 1,
    "config.request_bounds.RequestBoundsMiddleware",
)

"""Structured logs: every line one JSON object with timestamp, level, logger and request id.

structlog renders both its own events and the standard library's records (Django's, psycopg's,
the apps' `logging.getLogger(...)`) through one formatter, so a log shipper reads one format.
The request middleware binds `request_id` in a context variable: every line logged while a
request runs carries it.
"""

import logging
import re
import uuid

import structlog
import structlog.tracebacks

REQUEST_ID_HEADER = "X-Request-ID"
# What an incoming X-Request-ID may be (UUIDs, ULIDs, the ids proxies and load balancers
# make): anything else, or a longer one, is replaced by a fresh id rather than logged or echoed.
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


def request_id_from(header_value: str | None) -> str:
    """Return the caller's request id when it is well-formed, else a fresh random one."""
    if header_value and REQUEST_ID_PATTERN.fullmatch(header_value):
        return header_value
    return uuid.uuid4().hex


def _trace_ids(logger, method_name, event_dict):
    """Add the current OpenTelemetry trace and span ids (tracing on: config/tracing.py)."""
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event_dict["trace_id"] = format(context.trace_id, "032x")
        event_dict["span_id"] = format(context.span_id, "016x")
    return event_dict


def shared_processors(*, with_trace_ids: bool = False) -> list:
    """The processors every line goes through, structlog's and the standard library's."""
    processors = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    if with_trace_ids:
        processors.append(_trace_ids)
    return processors


def structlog_configure(*, with_trace_ids: bool = False) -> None:
    """Send structlog's events through the standard library (LOGGING decides where)."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared_processors(with_trace_ids=with_trace_ids),
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def json_formatter(*, with_trace_ids: bool = False) -> dict:
    """The LOGGING formatter that writes each record as one JSON line."""
    return {
        "()": structlog.stdlib.ProcessorFormatter,
        "processors": [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            # Tracebacks as data, without local variables: those hold passwords and tokens.
            structlog.processors.ExceptionRenderer(
                structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
            ),
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
        "foreign_pre_chain": [
            *shared_processors(with_trace_ids=with_trace_ids),
            # Only this extra of Django's: its `request` extra prints the query string.
            structlog.stdlib.ExtraAdder(allow=("status_code",)),
        ],
    }


def logging_config(*, level: str, request_level: str, with_trace_ids: bool = False) -> dict:
    """Django's LOGGING: one JSON handler on the root logger, which every logger reaches."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"require_debug_false": {"()": "django.utils.log.RequireDebugFalse"}},
        "formatters": {"json": json_formatter(with_trace_ids=with_trace_ids)},
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "json"},
            # Django's default: server errors e-mailed to ADMINS when DEBUG is off.
            "mail_admins": {
                "level": "ERROR",
                "filters": ["require_debug_false"],
                "class": "django.utils.log.AdminEmailHandler",
            },
        },
        "loggers": {
            # Django's default configuration gives these loggers plain-text handlers of their
            # own; here they reach the root's JSON handler like every other logger.
            "django": {"handlers": ["mail_admins"], "level": "INFO"},
            # runserver's access lines: the request line says the same without the query string.
            "django.server": {"handlers": [], "level": "ERROR"},
            "patron.request": {"level": request_level},
            # The request line replaces Django's "Bad Request: /path" warnings; errors (with
            # their traceback) are still logged.
            "django.request": {"level": "ERROR"},
        },
        "root": {"handlers": ["console"], "level": level},
    }


def log_level_name(status: int) -> int:
    """The level of a request line: errors for 5xx answers, info otherwise."""
    return logging.ERROR if status >= 500 else logging.INFO

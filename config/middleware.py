"""Site-wide middleware: one structured log line per request, NUL characters refused in URLs,
and a database failure answered 503."""

import time

import structlog
from django.core.signals import request_finished
from django.http import HttpResponse, JsonResponse
from django.utils.html import escape

from config.database import database_failure, database_failure_detail, database_retry_after
from config.logs import REQUEST_ID_HEADER, log_level_name, request_id_from

request_logger = structlog.get_logger("patron.request")

NUL_IN_URL = "Null characters are not allowed in the URL or its query string."


class RequestLogMiddleware:
    """Log each request as one line on the `patron.request` logger, under a request id.

    The request id is the caller's `X-Request-ID` when it is well-formed (config/logs.py), else
    a fresh one; it is bound for every line logged during the request and sent back in the
    answer's `X-Request-ID`. The line holds method, path, status, duration and user id: the
    query string is left out (integrators put e-mails and names in filters), and headers
    (Authorization, cookies) and bodies (passwords) are never read here.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        # The id stays bound until the answer is sent: Django logs a 5xx answer (django.request)
        # after the middleware has returned it.
        request_finished.connect(_request_id_forget, dispatch_uid="patron-request-id")

    def __call__(self, request):
        request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = (time.perf_counter() - started) * 1000
        response[REQUEST_ID_HEADER] = request_id
        user = getattr(request, "user", None)
        request_logger.log(
            log_level_name(response.status_code),
            "request",
            method=request.method,
            path=request.path,
            status=response.status_code,
            duration_ms=round(duration_ms, 1),
            user_id=user.pk if user is not None and user.is_authenticated else None,
        )
        return response


def _request_id_forget(**kwargs):
    structlog.contextvars.clear_contextvars()


def _has_nul(request) -> bool:
    if "\x00" in request.path:
        return True
    return any(
        "\x00" in key or any("\x00" in value for value in values)
        for key, values in request.GET.lists()
    )


class RejectNulMiddleware:
    """Answer 400 to a URL holding a NUL character: PostgreSQL cannot compare text with one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_nul(request):
            return JsonResponse({"detail": NUL_IN_URL}, status=400)
        return self.get_response(request)


API_PREFIX = "/api/"


class ApiTrailingSlashMiddleware:
    """Serve an API path without its trailing slash as the path with it, for every method.

    Django's APPEND_SLASH answers such a path with a redirect, which HTTP clients follow as a
    GET (python-requests turns a POST into a GET that creates nothing), and with DEBUG on it
    refuses a POST outright. API routes all end in a slash, so the slash is added in place.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path.startswith(API_PREFIX) and not path.endswith("/"):
            request.path_info = f"{path}/"
            request.path = f"{request.path}/"
        return self.get_response(request)


JSON_PREFIXES = ("/api/", "/compat/")


def database_failure_response(request, kind: str):
    """503 with Retry-After for a database failure: JSON for the API, a short page elsewhere."""
    detail = database_failure_detail(kind)
    if request.path.startswith(JSON_PREFIXES):
        response = JsonResponse({"detail": detail}, status=503)
    else:
        response = HttpResponse(
            f"<!doctype html><title>Service unavailable</title><h1>Service unavailable</h1>"
            f"<p>{escape(detail)}</p>",
            status=503,
        )
    response["Retry-After"] = database_retry_after()
    return response


class DatabaseFailureMiddleware:
    """Answer 503 with Retry-After, not 500, when a view fails because the database is down,
    restarting or cancelled a statement at the timeout (the admin, HTML pages; the API's own
    exception handler does the same for DRF views)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        kind = database_failure(exception)
        return None if kind is None else database_failure_response(request, kind)

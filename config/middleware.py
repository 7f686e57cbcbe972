"""Site-wide middleware: one JSON log line per request, and NUL characters refused in URLs."""

import json
import logging
import time

from django.http import JsonResponse

request_logger = logging.getLogger("patron.request")

NUL_IN_URL = "Null characters are not allowed in the URL or its query string."


def request_log_line(request, response, duration_ms: float) -> str:
    """Return the JSON log line of a request: no query string, headers or body, ever."""
    user = getattr(request, "user", None)
    user_id = user.pk if user is not None and user.is_authenticated else None
    return json.dumps(
        {
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round(duration_ms, 1),
            "user_id": user_id,
        },
        ensure_ascii=False,
    )


class RequestLogMiddleware:
    """Log each request as one JSON line on the `patron.request` logger.

    The query string is left out: integrators put e-mails and names in filters. Headers
    (Authorization, cookies) and bodies (passwords) are never read here.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = (time.perf_counter() - started) * 1000
        request_logger.info(request_log_line(request, response, duration_ms))
        return response


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

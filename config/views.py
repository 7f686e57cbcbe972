import sys

from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views import defaults
from django.views.decorators.http import require_GET

from config.database import database_failure, database_retry_after
from config.health import readiness
from config.middleware import database_failure_response


@require_GET
def healthz_live(request):
    """Liveness: answer 200 as long as the process serves requests; touch nothing else.

    A failing database must not get the process restarted (it would not help): that is what
    readiness reports.
    """
    return JsonResponse({"status": "ok"})


@require_GET
def healthz_ready(request):
    """Readiness: 200 when the database, the cache and (with RQ) the broker answer, else 503."""
    results = readiness()
    body = {name: "ok" if ready else "unreachable" for name, ready in results.items()}
    ready = all(results.values())
    return JsonResponse(
        {"status": "ok" if ready else "error", **body}, status=200 if ready else 503
    )


@require_GET
def healthz(request):
    """Answer 200 when the app and its database work, 503 when the database does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        response = JsonResponse({"status": "error", "database": "unreachable"}, status=503)
        response["Retry-After"] = database_retry_after()
        return response
    return JsonResponse({"status": "ok", "database": "ok"})


def _json_or_default(request, default, status: int, detail: str, **kwargs):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": detail}, status=status)
    return default(request, **kwargs)


def not_found(request, exception):
    """404 for URLs no route matches: JSON under /api/, Django's page elsewhere."""
    return _json_or_default(
        request, defaults.page_not_found, 404, "Not found.", exception=exception
    )


def bad_request(request, exception):
    """400 for requests Django refuses before any view (e.g. too many query parameters)."""
    return _json_or_default(request, defaults.bad_request, 400, "Bad request.", exception=exception)


def server_error(request):
    """500: JSON under /api/, without any detail of the failure.

    A database failure raised outside any view (a middleware reading the session) is a 503.
    """
    failure = sys.exc_info()[1]
    if failure is not None and (kind := database_failure(failure)) is not None:
        return database_failure_response(request, kind)
    return _json_or_default(request, defaults.server_error, 500, "Server error.")

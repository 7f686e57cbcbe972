"""Caps on what one API request may ask of the database, refused before any work is done.

A list with thousands of filter values, or a search of 1,300 one-letter words (each a scan of
the customers), cost minutes of database time: the URL, the filter values and the search words
are bounded, and a request past a bound answers with the bound (414 for the URL, 400 naming
the parameter otherwise). Applies to the native API and every platform dialect.
"""

from django.conf import settings
from django.http import JsonResponse
from django.utils.translation import gettext_lazy as _

BOUNDED_PREFIXES = ("/api/", "/compat/")
# Parameters whose value is words to search for, each word a condition of its own.
SEARCH_PARAMS = ("q",)

URL_TOO_LONG = _("The URL is longer than {limit} characters; send fewer or shorter parameters.")
TOO_MANY_WORDS = _("Give at most {limit} words to search for; this search has {count}.")
TOO_MANY_VALUES = _(
    "Give at most {limit} filter values in one request (each comma-separated item and each "
    "repetition of a parameter counts); this request has {count}."
)


def query_bounds_check(query) -> dict[str, list[str]]:
    """Return {parameter: [message]} when the query (a QueryDict) asks for more words or
    values than API_MAX_SEARCH_WORDS and API_MAX_FILTER_VALUES allow."""
    errors = {}
    counts = {}
    for name, values in query.lists():
        if name in SEARCH_PARAMS:
            words = sum(len(value.split()) for value in values)
            if words > settings.API_MAX_SEARCH_WORDS:
                errors[name] = [
                    TOO_MANY_WORDS.format(limit=settings.API_MAX_SEARCH_WORDS, count=words)
                ]
        else:
            counts[name] = sum(value.count(",") + 1 for value in values)
    total = sum(counts.values())
    if total > settings.API_MAX_FILTER_VALUES:
        largest = max(counts, key=counts.get)
        errors[largest] = [
            TOO_MANY_VALUES.format(limit=settings.API_MAX_FILTER_VALUES, count=total)
        ]
    return errors


class RequestBoundsMiddleware:
    """Answer 414 to an API URL over API_MAX_URL_LENGTH characters and 400 to a query over the
    search-word or filter-value caps, before authentication and any query."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(BOUNDED_PREFIXES):
            if len(request.get_full_path()) > settings.API_MAX_URL_LENGTH:
                detail = URL_TOO_LONG.format(limit=settings.API_MAX_URL_LENGTH)
                return JsonResponse({"detail": detail}, status=414)
            if errors := query_bounds_check(request.GET):
                return JsonResponse(errors, status=400)
        return self.get_response(request)

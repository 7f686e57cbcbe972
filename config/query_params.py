"""Strict query parameters: a name the route does not read is a 400, not ignored (Stripe's rule).

An integrator's `?customerID=1` or `?limit=10` used to answer the whole list with 200, and a
script acting on "what it found" then acted on every row. The known names are asked of the
view's own parts (its FilterSet with every generated lookup, its ordering backend, its
paginator), so a filter added to a FilterSet is accepted without being listed anywhere else.
"""

from rest_framework import exceptions
from rest_framework.settings import api_settings

from config.filtering import param_name_known
from config.unknown_names import unknown_name_message

FIELDS_PARAM = "fields"
READ_METHODS = ("GET", "HEAD")


class StrictQueryParamsMixin:
    """Answers 400 `{name: ["Unknown query parameter ..."]}` for a parameter the route ignores.

    Every route knows DRF's `format`; reads (GET) know `fields`; lists also know their filters,
    ordering and paging, which details and writes do not take. A view adds the parameters it
    reads itself by extending known_query_params (customers' `expand`). Checked after
    authentication, permissions and throttling, before the handler reads anything.
    """

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        known = self.known_query_params()
        errors = {
            name: [unknown_name_message(name, known, parameter=True)]
            for name in request.query_params
            if not param_name_known(name, known)
        }
        if errors:
            raise exceptions.ValidationError(errors)

    def known_query_params(self) -> set[str]:
        """The query parameters this request's route reads."""
        known = {api_settings.URL_FORMAT_OVERRIDE} - {None}
        if self.request.method not in READ_METHODS:
            return known
        known.add(FIELDS_PARAM)
        if self._lists():
            parts = [backend() for backend in self.filter_backends]
            if self.paginator is not None:
                parts.append(self.paginator)
            for part in parts:
                names = getattr(part, "query_param_names", None)
                known.update(names(self) if names is not None else ())
        return known

    def _lists(self) -> bool:
        # A viewset names its action; a plain generic view lists when it has `list`.
        action = getattr(self, "action", None)
        return action == "list" if action is not None else hasattr(self, "list")

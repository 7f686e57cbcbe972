"""The Idempotency-Key header on the API's POST and PATCH: a mixin every API view uses."""

from django.db import transaction
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, status

from idempotency.models import KEY_MAX_LENGTH, IdempotencyKey
from idempotency.services import (
    KEY_HEADER,
    IdempotencyKeyInUse,
    IdempotencyKeyReused,
    idempotency_answer_keepable,
    idempotency_answer_store,
    idempotency_key_claim,
    idempotency_key_clean,
    idempotency_request_hash,
)

KEY_METHODS = frozenset({"POST", "PATCH"})
REPLAYED_HEADER = "Idempotent-Replayed"
# The first answer's headers a replay repeats; the others (Allow, Vary, security headers) are
# set again by DRF and the middleware.
KEPT_HEADERS = (
    "Content-Type",
    "Location",
    "ETag",
    "Last-Modified",
    "Link",
    "X-Total-Count",
    "X-Total-Count-Estimate",
)
KEY_PARAMETER = OpenApiParameter(
    KEY_HEADER,
    {"type": "string", "minLength": 1, "maxLength": KEY_MAX_LENGTH},
    OpenApiParameter.HEADER,
    description=f"Makes this write safe to retry: 1 to {KEY_MAX_LENGTH} printable ASCII "
    "characters (a random UUID, say), unique per API user. For 24 hours a retry with the same "
    "key and the same JSON body gets the first answer again (status, body and headers, plus "
    f"`{REPLAYED_HEADER}: true`) and writes nothing; the same key with another body or route "
    "→ 422; while the first request still runs → 409. Answers 5xx, 409 and 429 are not kept: "
    "their retry runs again.",
)


class KeyInUse(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "idempotency_key_in_use"


class KeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"


class _Replay(Exception):
    """Raised by initial() to answer with a stored response instead of running the handler."""

    def __init__(self, stored: IdempotencyKey):
        super().__init__(stored.key)
        self.response = HttpResponse(bytes(stored.body), status=stored.status)
        for name, value in stored.headers.items():
            self.response[name] = value
        self.response[REPLAYED_HEADER] = "true"


# Honours Idempotency-Key on POST and PATCH (Stripe's rules), for every action not in
# `idempotency_exempt_actions`. Such a request runs in one transaction: after authentication,
# permissions and throttling, the key is claimed (a replay or a 409/422 ends the request
# there), the handler runs in a savepoint (rolled back if it raises, so an error answer is
# stored alone), and the rendered answer is stored; an answer that is not kept rolls the
# whole request back. No class docstring: drf-spectacular would print it as the description
# of every API view that has none.
class IdempotentWritesMixin:
    idempotency_exempt_actions: frozenset[str] = frozenset()
    idempotency_key_parameter = KEY_PARAMETER
    _idempotency_claim: dict | None = None
    _idempotency_savepoint: str | None = None

    def idempotency_key_accepted(self, method: str) -> bool:
        """Whether this view honours Idempotency-Key for the method (and its action)."""
        action = getattr(self, "action", None)
        return method in KEY_METHODS and action not in self.idempotency_exempt_actions

    def _idempotent(self, request) -> bool:
        return KEY_HEADER in request.headers and self.idempotency_key_accepted(request.method)

    def dispatch(self, request, *args, **kwargs):
        if not self._idempotent(request):
            return super().dispatch(request, *args, **kwargs)
        with transaction.atomic():
            return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not self._idempotent(request):
            return
        claim = {
            "user": request.user,
            "key": idempotency_key_clean(request.headers[KEY_HEADER]),
            "method": request.method,
            "path": request.get_full_path(),
            "request_hash": idempotency_request_hash(request.data),
        }
        try:
            stored = idempotency_key_claim(**claim)
        except IdempotencyKeyInUse as error:
            raise KeyInUse(str(error)) from error
        except IdempotencyKeyReused as error:
            raise KeyReused(str(error)) from error
        if stored is not None:
            raise _Replay(stored)
        self._idempotency_claim = claim
        self._idempotency_savepoint = transaction.savepoint()

    def handle_exception(self, exc):
        if isinstance(exc, _Replay):
            return exc.response
        if self._idempotency_savepoint is not None:
            transaction.savepoint_rollback(self._idempotency_savepoint)
            self._idempotency_savepoint = None
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        claim, self._idempotency_claim = self._idempotency_claim, None
        if claim is None:
            return response
        if not idempotency_answer_keepable(response.status_code):
            # Its retry will run again: nothing this attempt wrote may stay.
            transaction.set_rollback(True)
            return response
        if hasattr(response, "render"):
            response.render()
        headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
        idempotency_answer_store(
            **claim, status=response.status_code, body=response.content, headers=headers
        )
        return response

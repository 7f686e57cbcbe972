"""The OpenAPI generator: drf-spectacular's, plus the error answers every operation may give
and the conditional requests (ETag, If-Match, If-None-Match) of every versioned object."""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiParameter

from config.etags import ConditionalMixin

_DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
# Field errors: {"field": ["message", ...]}, nested for lists ({"items": {"3": {...}}}).
_FIELD_ERRORS = {
    "type": "object",
    "additionalProperties": True,
    "description": '{"field": ["message", ...]}, or {"detail": "..."} for a body or '
    "parameter that is not one field.",
}
_ALWAYS = {
    "400": ("Invalid parameters or body, naming the fields.", _FIELD_ERRORS),
    "401": ("No or invalid credentials.", _DETAIL),
    "403": ("The user lacks the model permission this needs.", _DETAIL),
    "404": ("Not found, or outside the channels the user may see.", _DETAIL),
    "406": ("The Accept header asks for a format the API does not serve.", _DETAIL),
    "429": ("Throttled: retry after the Retry-After header's seconds.", _DETAIL),
}
_KEY_REUSED = (
    "The Idempotency-Key was first used for another route or body.",
    _DETAIL,
)
_WRITES = {
    "409": ("The change conflicts with existing or concurrent data.", _DETAIL),
    "413": ("Request body too large.", _DETAIL),
    "415": ("Send the body as application/json.", _DETAIL),
}


_ETAG = OpenApiParameter(
    "ETag",
    str,
    OpenApiParameter.HEADER,
    response=[200, 201, 304],
    description='The object\'s version as a strong entity tag, e.g. `"3"` (the `version` '
    "field in quotes). Send it back in If-Match to write only over that version.",
)
_IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    description='Write only if the object is still at one of these versions (`"3"`, or '
    '`"3", "4"`; `W/` is ignored), else 412 and nothing changes. `*` matches any version.',
)
_IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    str,
    OpenApiParameter.HEADER,
    description="Answer 304 without a body when the object is still at one of these "
    'versions (`"3"`, or `*` for any).',
)
_CONDITIONAL = {
    "retrieve": [_ETAG, _IF_NONE_MATCH],
    "create": [_ETAG],
    "update": [_ETAG, _IF_MATCH],
    "partial_update": [_ETAG, _IF_MATCH],
    "destroy": [_IF_MATCH],
}
_NOT_MODIFIED = "Not modified: the object is still at the version If-None-Match names."
_PRECONDITION_FAILED = (
    "The object is no longer at a version If-Match names: nothing changed; read it again.",
    _DETAIL,
)


class AutoSchema(SpectacularAutoSchema):
    """Documents 400/401/403/404/406/429 everywhere and 409/413/415 on writes; the ETag,
    If-Match and If-None-Match headers, 304 and 412 on the detail routes of versioned objects
    (config.etags); the Idempotency-Key header (with its 422) where the view honours it."""

    def _conditional(self) -> list[OpenApiParameter]:
        if not isinstance(self.view, ConditionalMixin):
            return []
        return _CONDITIONAL.get(getattr(self.view, "action", None), [])

    def _idempotency_key(self):
        """The view's Idempotency-Key parameter if it honours the header for this method.

        Duck-typed: the mixin lives in the idempotency app, which config/ does not import.
        """
        accepted = getattr(self.view, "idempotency_key_accepted", None)
        return self.view.idempotency_key_parameter if accepted and accepted(self.method) else None

    def get_override_parameters(self):
        key = self._idempotency_key()
        return [
            *super().get_override_parameters(),
            *self._conditional(),
            *([key] if key else []),
        ]

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        conditional = self._conditional()
        if _IF_NONE_MATCH in conditional:
            headers = self._get_response_headers_for_code("304", direction)
            responses.setdefault("304", {"description": _NOT_MODIFIED, "headers": headers})
        errors = dict(_ALWAYS)
        if _IF_MATCH in conditional:
            errors["412"] = _PRECONDITION_FAILED
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            errors.update(_WRITES)
        if self._idempotency_key():
            errors["422"] = _KEY_REUSED
        for code, (description, schema) in errors.items():
            responses.setdefault(
                code,
                {"content": {"application/json": {"schema": schema}}, "description": description},
            )
        return responses


def responses_optional_properties(result, generator, request, public):
    """Drop `required` from response components: `fields=` may leave any property out.

    Every representation accepts a sparse fieldset, and customers' expansions appear only
    when asked for, so no property is guaranteed in an answer. Request components (named
    *Request, COMPONENT_SPLIT_REQUEST) keep their required lists.
    """
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if not name.endswith("Request"):
            component.pop("required", None)
    return result

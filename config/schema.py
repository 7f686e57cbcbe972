"""The OpenAPI generator: drf-spectacular's, plus the error answers every operation may give."""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema

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


class AutoSchema(SpectacularAutoSchema):
    """Documents 400/401/403/404/406/429 everywhere and 409/413/415 on writes, and the
    Idempotency-Key header (with its 422) where the view honours it."""

    def _idempotency_key(self):
        """The view's Idempotency-Key parameter if it honours the header for this method.

        Duck-typed: the mixin lives in the idempotency app, which config/ does not import.
        """
        accepted = getattr(self.view, "idempotency_key_accepted", None)
        return self.view.idempotency_key_parameter if accepted and accepted(self.method) else None

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        key = self._idempotency_key()
        return [*parameters, key] if key else parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        errors = dict(_ALWAYS)
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

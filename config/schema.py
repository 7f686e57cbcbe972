"""The OpenAPI generator: drf-spectacular's, plus the error answers and headers every operation
may give, as named components so that generated clients get typed errors instead of `None`.
"""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent

_MESSAGES = {"type": "array", "items": {"type": "string"}}
# Error bodies. A 400 names each field with its messages; nested input nests its errors the
# same way: {"addresses": [{}, {"city": [...]}]} for a list, {"items": {"3": {...}}} for the
# items of a bulk body, {"customer": {"email": [...]}} for an object.
ERROR_SCHEMAS = {
    "ErrorDetail": {
        "type": "object",
        "description": "Any error that is not about single fields.",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    },
    "ValidationError": {
        "type": "object",
        "description": 'Refused input: {"field": ["message", ...]} for each field at fault, '
        "nested for nested input; `non_field_errors` for the object as a whole, `detail` for a "
        "body that could not be read.",
        "properties": {
            "detail": {"anyOf": [{"type": "string"}, _MESSAGES]},
            "non_field_errors": _MESSAGES,
        },
        "additionalProperties": {"$ref": "#/components/schemas/FieldError"},
    },
    "FieldError": {
        "description": "A field's messages, or the errors of a nested object or list (a list "
        "has one entry per item, {} for an item without errors).",
        "anyOf": [
            {
                "type": "array",
                "items": {
                    "anyOf": [{"type": "string"}, {"$ref": "#/components/schemas/NestedErrors"}]
                },
            },
            {"$ref": "#/components/schemas/NestedErrors"},
        ],
    },
    "NestedErrors": {
        "type": "object",
        "description": "The errors of a nested object, or of list items by index.",
        "additionalProperties": {"$ref": "#/components/schemas/FieldError"},
    },
}
_INTEGER = {"type": "integer", "minimum": 0}
RESPONSE_HEADERS = {
    "Link": {
        "description": 'RFC 8288 links to the other pages: rel="first", "prev", "next", "last" '
        '(a since_id list: "first" and "next").',
        "schema": {"type": "string"},
    },
    "X-Total-Count": {
        "description": "The list's `count` (absent when paging with since_id).",
        "schema": _INTEGER,
    },
    "X-Total-Count-Estimate": {
        "description": "`true` when the count is an estimate (`count_is_estimate`).",
        "schema": {"type": "boolean"},
    },
    "ETag": {
        "description": "The representation's version, for If-Match and If-None-Match.",
        "schema": {"type": "string"},
    },
    "Retry-After": {
        "description": "Seconds to wait before the next request.",
        "schema": _INTEGER,
    },
    "RateLimit-Limit": {
        "description": "Requests allowed in the throttle's window (API_THROTTLE_RATE).",
        "schema": _INTEGER,
    },
    "RateLimit-Remaining": {
        "description": "Requests left in the current window.",
        "schema": _INTEGER,
    },
    "RateLimit-Reset": {
        "description": "Seconds until a request is allowed again (until the window's oldest "
        "request expires).",
        "schema": _INTEGER,
    },
}
_RATE_LIMIT = ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"]

_ERRORS = {
    "400": ("Invalid parameters or body, naming the fields.", "ValidationError"),
    "401": ("No or invalid credentials.", "ErrorDetail"),
    "403": ("The user lacks the model permission this needs.", "ErrorDetail"),
    "404": ("Not found, or outside the channels the user may see.", "ErrorDetail"),
    "406": ("The Accept header asks for a format the API does not serve.", "ErrorDetail"),
    "409": ("The change conflicts with existing or concurrent data.", "ErrorDetail"),
    "412": ("If-Match names a version that is no longer current; nothing changed.", "ErrorDetail"),
    "413": ("Request body too large.", "ErrorDetail"),
    "415": ("Send the body as application/json.", "ErrorDetail"),
    "422": ("The Idempotency-Key was used with another body.", "ErrorDetail"),
    "429": ("Throttled: retry after the Retry-After header's seconds.", "ErrorDetail"),
}
_ALWAYS = ("400", "401", "403", "404", "406", "429")
_BY_METHOD = {
    "POST": ("409", "413", "415", "422"),
    "PUT": ("409", "412", "413", "415"),
    "PATCH": ("409", "412", "413", "415", "422"),
    "DELETE": ("409", "412"),
}


class AutoSchema(SpectacularAutoSchema):
    """Documents the error answers of every operation, and the headers of its answers.

    400/401/403/404/406/429 everywhere; 409, 412 (If-Match), 413, 415 and 422 (Idempotency-Key)
    on the writes that can give them. An error answer declared by a view without a body gets
    its component too, keeping the view's description.
    """

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in (*_ALWAYS, *_BY_METHOD.get(self.method, ())):
            description, name = _ERRORS[code]
            response = responses.setdefault(code, {"description": description})
            response.setdefault("content", {"application/json": {"schema": self._schema(name)}})
        for code, response in responses.items():
            headers = self._headers_for(code, response)
            if headers:
                response["headers"] = {**response.get("headers", {}), **headers}
        return responses

    def _headers_for(self, code: str, response: dict) -> dict:
        if code == "429":
            names = ["Retry-After", *_RATE_LIMIT]
        elif not code.startswith("2"):
            return {}
        elif self._is_list_view() and self._get_paginator():
            names = ["Link", "X-Total-Count", "X-Total-Count-Estimate", *_RATE_LIMIT]
        elif self.method in ("GET", "PUT", "PATCH") and "content" in response:
            names = ["ETag", *_RATE_LIMIT]  # one object's representation
        else:
            names = _RATE_LIMIT
        return {name: self._component(name, ResolvedComponent.HEADER) for name in names}

    def _schema(self, name: str) -> dict:
        ref = self._component(name, ResolvedComponent.SCHEMA)
        # FieldError and NestedErrors are reached through ValidationError's references.
        if name == "ValidationError":
            for nested in ("FieldError", "NestedErrors"):
                self._component(nested, ResolvedComponent.SCHEMA)
        return ref

    def _component(self, name: str, kind: str) -> dict:
        definitions = ERROR_SCHEMAS if kind == ResolvedComponent.SCHEMA else RESPONSE_HEADERS
        component = ResolvedComponent(name, kind, schema=definitions[name], object=name)
        self.registry.register_on_missing(component)
        return component.ref


def responses_optional_properties(result, generator, request, public):
    """Drop `required` from response components: `fields=` may leave any property out.

    Every representation accepts a sparse fieldset, and customers' expansions appear only
    when asked for, so no property is guaranteed in an answer. Request components (named
    *Request, COMPONENT_SPLIT_REQUEST) and error bodies keep their required lists.
    """
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if not name.endswith("Request") and name not in ERROR_SCHEMAS:
            component.pop("required", None)
    return result

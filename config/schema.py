"""The OpenAPI generator: drf-spectacular's, plus the error answers and headers every operation
may give, as named components so that generated clients get typed errors instead of `None`, and
the conditional requests (If-Match, If-None-Match) of every versioned object.
"""

from drf_spectacular.drainage import warn
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent, get_doc, get_view_model
from drf_spectacular.utils import OpenApiParameter

from config.etags import ConditionalMixin

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
        "description": 'The object\'s version as a strong entity tag, e.g. `"3"` (its `version` '
        "field in quotes): send it back in If-Match or If-None-Match.",
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
    "414": ("The URL is longer than API_MAX_URL_LENGTH characters.", "ErrorDetail"),
    "503": (
        "The database is unavailable or cancelled the request at its statement timeout: "
        "retry after the Retry-After header's seconds.",
        "ErrorDetail",
    ),
}
_ALWAYS = ("400", "401", "403", "404", "406", "414", "429", "503")
_BY_METHOD = {
    "POST": ("409", "413", "415"),
    "PUT": ("409", "413", "415"),
    "PATCH": ("409", "413", "415"),
    "DELETE": ("409",),
}

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
# The conditional headers each action of a versioned view (config.etags) reads.
_CONDITIONAL = {
    "retrieve": [_IF_NONE_MATCH],
    "update": [_IF_MATCH],
    "partial_update": [_IF_MATCH],
    "destroy": [_IF_MATCH],
}
# The actions whose answer is one versioned object, with its ETag.
_ONE_OBJECT = frozenset({"retrieve", "create", "update", "partial_update"})
_NOT_MODIFIED = "Not modified: the object is still at the version If-None-Match names."
# Summaries of the standard actions, from the model's verbose names; any other operation
# declares its own (extend_schema(summary=...)), or operations_have_summaries warns.
_ACTION_SUMMARIES = {
    "list": "List {plural}",
    "create": "Create {a} {name}",
    "retrieve": "Get {a} {name}",
    "update": "Replace {a} {name}",
    "partial_update": "Change some fields of {a} {name}",
    "destroy": "Delete {a} {name}",
}
MISSING_SUMMARY = (
    "{method} {path} ({operation_id}) has no summary: give it one with extend_schema(summary=...)."
)


def _view_class_documented(view_class: type) -> type | None:
    """The first of the view's own classes (not a mixin) that has a docstring; None when only
    mixins or the libraries' own classes have one."""
    for cls in view_class.__mro__:
        if cls.__module__.split(".")[0] in ("rest_framework", "django"):
            return None
        if cls.__doc__ and not cls.__name__.endswith("Mixin"):
            return cls
    return None


class AutoSchema(SpectacularAutoSchema):
    """Documents the error answers of every operation, and the headers of its answers.

    400/401/403/404/406/414/429/503 everywhere; 409, 413 and 415 on writes; If-Match with its
    412 and If-None-Match with its 304 on the detail routes of versioned objects (config.etags); the
    Idempotency-Key header with its 422 where the view honours it. An error answer declared
    by a view without a body gets its component too, keeping the view's description.
    """

    def get_description(self) -> str:
        """The action's docstring, else the view's own (or a parent view's), never a mixin's:
        drf-spectacular takes the first docstring of the view's classes, and a mixin's
        describes the mixin (its conditional requests, its fast path), not the routes."""
        action = getattr(self.view, getattr(self.view, "action", self.method.lower()), None)
        return get_doc(action) or get_doc(_view_class_documented(type(self.view)))

    def get_summary(self) -> str | None:
        """The standard actions' summary, e.g. "List customers", "Get an order"."""
        template = _ACTION_SUMMARIES.get(getattr(self.view, "action", None))
        model = get_view_model(self.view, emit_warnings=False) if template else None
        if model is None:
            return None
        name = str(model._meta.verbose_name)
        article = "an" if name[:1].lower() in "aeio" else "a"
        plural = str(model._meta.verbose_name_plural)
        return template.format(a=article, name=name, plural=plural)

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

    def _error_codes(self) -> list[str]:
        codes = [*_ALWAYS, *_BY_METHOD.get(self.method, ())]
        if _IF_MATCH in self._conditional():
            codes.append("412")
        if self._idempotency_key():
            codes.append("422")
        return codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        if _IF_NONE_MATCH in self._conditional():
            responses.setdefault("304", {"description": _NOT_MODIFIED})
        for code in self._error_codes():
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
        elif code == "503":
            names = ["Retry-After"]
        elif not code.startswith("2") and code != "304":
            return {}
        elif self._is_list_view() and self._get_paginator():
            names = ["Link", "X-Total-Count", "X-Total-Count-Estimate", *_RATE_LIMIT]
        elif code == "304" or self._answers_one_versioned_object():
            names = ["ETag", *_RATE_LIMIT]
        else:
            names = _RATE_LIMIT
        return {name: self._component(name, ResolvedComponent.HEADER) for name in names}

    def _answers_one_versioned_object(self) -> bool:
        action = getattr(self.view, "action", None)
        return isinstance(self.view, ConditionalMixin) and action in _ONE_OBJECT

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


def operations_have_summaries(result, generator, request, public):
    """Warn about each operation without a summary (`spectacular --fail-on-warn` then fails)."""
    operations = (
        (path, method, operation)
        for path, item in result.get("paths", {}).items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "operationId" in operation
    )
    for path, method, operation in operations:
        if not operation.get("summary"):
            warn(
                MISSING_SUMMARY.format(
                    method=method.upper(), path=path, operation_id=operation["operationId"]
                )
            )
    return result

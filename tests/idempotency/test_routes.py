"""Every API write honours Idempotency-Key, and the OpenAPI schema says so."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator

from idempotency.api import IdempotentWritesMixin
from idempotency.services import KEY_HEADER

API_PREFIX = "api/v1/"
# Sign-in is exempt: a replayed success could let an old password in.
EXEMPT = {("POST", "/api/v1/customers/authenticate/")}


def _api_views():
    """(route, view class, its methods) of every route under /api/v1/."""

    def walk(patterns, prefix):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and route.startswith(API_PREFIX):
                cls, actions = pattern.callback.cls, getattr(pattern.callback, "actions", None)
                methods = actions or {name for name in cls.http_method_names if hasattr(cls, name)}
                yield route, cls, {method.upper() for method in methods}

    return list(walk(get_resolver().url_patterns, ""))


def test_every_api_view_that_takes_post_or_patch_uses_the_mixin():
    writers = [(route, cls) for route, cls, methods in _api_views() if methods & {"POST", "PATCH"}]

    assert writers, "no API write route found"
    missing = [route for route, cls in writers if not issubclass(cls, IdempotentWritesMixin)]
    assert not missing, missing


@pytest.fixture(scope="module")
def operations():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        (method.upper(), path): operation
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    }


def _has_key_header(operation) -> bool:
    return any(
        p["name"] == KEY_HEADER and p["in"] == "header" for p in operation.get("parameters", [])
    )


def test_the_schema_documents_the_header_and_its_422_on_post_and_patch(operations):
    writes = {key: op for key, op in operations.items() if key[0] in ("POST", "PATCH")}
    others = {key: op for key, op in operations.items() if key[0] not in ("POST", "PATCH")}

    documented = {key for key, op in writes.items() if _has_key_header(op)}
    assert documented == set(writes) - EXEMPT
    # The native writes: 19, the webhooks' POST, PATCH, rotate, ping and redeliver, and the
    # duplicates' dismissal, the merge and its undo. The dialects' (/compat/) writes are
    # covered by the line above.
    native = {key for key in documented if key[1].startswith(f"/{API_PREFIX}")}
    assert len(native) == 27
    assert all("422" in writes[key]["responses"] for key in documented)
    for key in EXEMPT | set(others):
        operation = operations[key]
        assert not _has_key_header(operation), key
        assert "422" not in operation["responses"], key

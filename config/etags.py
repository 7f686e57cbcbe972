"""ETag, If-Match and If-None-Match on the API's detail routes (config.versions holds the rule).

A viewset with ConditionalMixin answers a GET of one object with its ETag, or 304 when
If-None-Match names its version, and puts the ETag on every answer that is one object (a
create, an edit, an action's result). Its writes pass `self.if_match` to their service, which
checks it on the locked row; a mismatch is 412 (config.exceptions).
"""

from rest_framework import status
from rest_framework.response import Response

from config.versions import EntityTags, entity_tags_parse, etag


class ConditionalMixin:
    """Conditional requests for a viewset whose objects have a `version`."""

    @property
    def if_match(self) -> EntityTags | None:
        """The If-Match header, for the service of a PUT, PATCH or DELETE."""
        return entity_tags_parse(self.request.headers.get("If-Match"))

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        return self.conditional_response(
            instance.version, lambda: self.get_serializer(instance).data
        )

    def conditional_response(self, version: int, body) -> Response:
        """One object's answer: 304 when If-None-Match names `version`, else `body()`; with
        its ETag either way."""
        if_none_match = entity_tags_parse(self.request.headers.get("If-None-Match"))
        if if_none_match is not None and if_none_match.match(version):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers=_etag(version))
        return Response(body(), headers=_etag(version))

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        data = getattr(response, "data", None)
        version = data.get("version") if isinstance(data, dict) else None
        if status.is_success(response.status_code) and isinstance(version, int):
            response.headers.setdefault("ETag", etag(version))
        return response


def _etag(version: int) -> dict[str, str]:
    return {"ETag": etag(version)}

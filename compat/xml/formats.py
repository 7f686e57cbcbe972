"""The dialect's XML parser and renderer for DRF (JSON goes through the API's own classes)."""

from rest_framework import exceptions, parsers, renderers

from compat.xml.resultset import (
    ROOT,
    DocumentInvalid,
    document_parse,
    document_render,
    errors_render,
)
from config.parsers import body_read


class ResultSetXMLParser(parsers.BaseParser):
    """`<ResultSet>` bodies, read with defusedxml (compat.xml.resultset): a body over the
    API's size limit is a 413, malformed or unsafe XML a 400."""

    media_type = "application/xml"

    def parse(self, stream, media_type=None, parser_context=None):
        body = body_read(stream, parser_context or {})
        try:
            return document_parse(body)
        except DocumentInvalid as error:
            raise exceptions.ParseError(str(error)) from None


class ResultSetTextXMLParser(ResultSetXMLParser):
    """The same, for clients that label XML `text/xml`."""

    media_type = "text/xml"


class ResultSetXMLRenderer(renderers.BaseRenderer):
    """`{"ResultSet": {...}}` as an XML document; an error body as `<Error>` elements."""

    media_type = "application/xml"
    format = "xml"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if isinstance(data, dict) and set(data) == {ROOT} and isinstance(data[ROOT], dict):
            return document_render(data[ROOT])
        return errors_render(data)

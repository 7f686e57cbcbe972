"""`<ResultSet>` documents to Python and back, read with defusedxml.

An XML body becomes the same shape as the dialect's JSON body (`{"ResultSet": {...}}`): an
element with child elements is an object mapping each child name to the list of its
occurrences, a leaf is its text ("" when empty). Which names are lists (Customer, UserGroup,
UserCustomerGroup) and which are single values is the dialect's business (compat.xml.nodes).

defusedxml refuses what makes XML dangerous to parse: a DTD, entity declarations (the
"billion laughs" expansion) and external entities (file:// or http:// SYSTEM references),
so nothing is expanded and nothing is fetched; each is a 400 like malformed XML.
"""

import re
from xml.etree.ElementTree import Element, ParseError, SubElement, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

ROOT = "ResultSet"
MAX_DEPTH = 32
MALFORMED = "Malformed XML: {error}."
FORBIDDEN = "XML with a DTD, entity declarations or external references is not accepted."
NOT_RESULT_SET = "The document's root element must be <ResultSet>, not <{name}>."
TOO_DEEP = "XML nested too deeply: at most {max} levels."
ATTRIBUTES = "Attributes are not accepted: send <{name}> as a child element."
MIXED_CONTENT = "Text beside child elements is not accepted in <{name}>."
# Characters XML 1.0 cannot carry (control characters other than tab and newlines): a stored
# value holding one (written through the JSON API) is answered with U+FFFD in their place, so
# the document stays well-formed. JSON answers carry the value as it is.
NOT_XML_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class DocumentInvalid(ValueError):
    """The body is not a `<ResultSet>` document the dialect reads; the message says why."""


def document_parse(body: bytes) -> dict:
    """Return `{"ResultSet": {name: [values]}}` for an XML document; raise DocumentInvalid."""
    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise DocumentInvalid(FORBIDDEN) from None
    except ParseError as error:
        raise DocumentInvalid(MALFORMED.format(error=error)) from None
    if root.tag != ROOT:
        raise DocumentInvalid(NOT_RESULT_SET.format(name=root.tag))
    return {ROOT: _element_value(root, depth=1) or {}}


def _element_value(element: Element, *, depth: int):
    """A leaf's text, or an element's children as {name: [values]}."""
    if depth > MAX_DEPTH:
        raise DocumentInvalid(TOO_DEEP.format(max=MAX_DEPTH))
    if element.attrib:
        raise DocumentInvalid(ATTRIBUTES.format(name=next(iter(element.attrib))))
    children = list(element)
    if not children:
        return element.text or ""
    if (element.text or "").strip() or any((child.tail or "").strip() for child in children):
        raise DocumentInvalid(MIXED_CONTENT.format(name=element.tag))
    values: dict[str, list] = {}
    for child in children:
        values.setdefault(child.tag, []).append(_element_value(child, depth=depth + 1))
    return values


def document_render(nodes: dict) -> bytes:
    """`{name: [node, ...]}` as `<ResultSet><name>…</name>…</ResultSet>`, UTF-8 with its
    declaration. A node is a dict of values; a list value repeats its element."""
    root = Element(ROOT)
    _append(root, nodes)
    return tostring(root, encoding="utf-8", xml_declaration=True)


def _append(parent: Element, values: dict) -> None:
    for name, value in values.items():
        for item in value if isinstance(value, list) else [value]:
            child = SubElement(parent, name)
            if isinstance(item, dict):
                _append(child, item)
            else:
                child.text = _text(item)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return NOT_XML_CHARACTERS.sub("\ufffd", str(value))


def errors_render(errors: dict) -> bytes:
    """An error answer: `<ResultSet><Error field="Customer.0.email">message</Error>…`; an
    error about no one field (`detail`) has no `field`. Field names go in an attribute, so any
    name sent (a JSON key is not always an XML name) can be reported."""
    root = Element(ROOT)
    for field, message in _messages(errors, ""):
        error = SubElement(root, "Error", {"field": field} if field else {})
        error.text = message
    return tostring(root, encoding="utf-8", xml_declaration=True)


def _messages(errors, path: str):
    """(dotted field, message) for every message of a DRF error body, nested or not."""
    if isinstance(errors, dict):
        for key, value in errors.items():
            name = "" if key in ("detail", "non_field_errors") and not path else key
            yield from _messages(value, f"{path}.{name}" if path and name else path or name)
    elif isinstance(errors, list):
        if all(isinstance(item, str) for item in errors):
            for message in errors:
                yield path, str(message)
            return
        for index, item in enumerate(errors):
            if item:
                yield from _messages(item, f"{path}.{index}" if path else str(index))
    else:
        yield path, str(errors)

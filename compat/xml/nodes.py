"""The nodes of a `<ResultSet>` body, XML or JSON, checked for shape and names.

Both formats arrive as `{"ResultSet": {name: value}}` (compat.xml.resultset reads XML into
that shape, every XML value a list of its occurrences). A node is an object of single values
and of node lists (a Customer's UserCustomerGroup); a single value sent twice, an object
where a value belongs, or a name the resource does not have is a 400 naming it by its path
from the ResultSet ("Customer.0.b_fname").
"""

from collections.abc import Collection

from compat.xml.resultset import ROOT
from config.unknown_names import unknown_fields
from customers.imports.rows import NOT_STRING, REQUIRED, text_clean

NOT_A_RESULT_SET = 'Send {"ResultSet": {...}}, the JSON form of a <ResultSet> document.'
NOT_A_NODE = "Expected an object (child elements), not a value."
ONE_VALUE = "Send this field once."
TOO_MANY_NODES = "Send at most {max} {name} nodes."


class NodesInvalid(Exception):
    """Refused input; `errors` maps each dotted field path to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


def resultset_nodes(data, *, name: str, max_nodes: int) -> list[dict]:
    """The `name` nodes of a ResultSet body (at least one); any other child is refused."""
    if not isinstance(data, dict) or set(data) != {ROOT}:
        raise NodesInvalid({ROOT: [str(NOT_A_RESULT_SET)]})
    content = data[ROOT] or {}
    if not isinstance(content, dict):
        raise NodesInvalid({ROOT: [str(NOT_A_RESULT_SET)]})
    errors = unknown_fields(content, {name})
    nodes = node_list(content.get(name), name, errors)
    if name not in content:
        errors[name] = [str(REQUIRED)]
    elif len(nodes) > max_nodes:
        errors[name] = [TOO_MANY_NODES.format(max=max_nodes, name=name)]
    if errors:
        raise NodesInvalid(errors)
    return nodes


def node_list(value, path: str, errors: dict) -> list[dict]:
    """A node list: XML's repeated elements, or JSON's list (or single object)."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            errors[f"{path}.{index}"] = [str(NOT_A_NODE)]
    return [item for item in items if isinstance(item, dict)]


def node_values(
    node: dict, *, fields: Collection[str], lists: Collection[str], path: str, errors: dict
) -> dict:
    """The node's single values by name and its node lists (`lists`), each name checked;
    errors go into `errors` under `path`."""
    for name, messages in unknown_fields(node, {*fields, *lists}).items():
        errors[f"{path}.{name}"] = messages
    values = {}
    for name, value in node.items():
        if name in lists:
            values[name] = node_list(value, f"{path}.{name}", errors)
        elif name in fields:
            if isinstance(value, list) and len(value) != 1:
                errors[f"{path}.{name}"] = [str(ONE_VALUE)]
                continue
            values[name] = value[0] if isinstance(value, list) else value
    return values


def text_value(value, *, path: str, errors: dict, max_length: int | None = None) -> str | None:
    """A single value as trimmed text (numbers allowed), or None after recording an error."""
    if isinstance(value, dict):
        errors[path] = [str(NOT_STRING)]
        return None
    try:
        return text_clean("" if value is None else value, max_length)
    except ValueError as error:
        errors[path] = [str(error)]
        return None

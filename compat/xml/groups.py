"""UserGroup nodes to Patron's groups and back (`subscribable` is a public group)."""

from django.db import transaction

from compat.xml.customers import GROUP_FIELDS
from compat.xml.nodes import NodesInvalid, node_values, text_value
from customers.imports.rows import boolean_clean
from groups.models import UserGroup
from groups.services import ItemsValidationError, groups_upsert

# XML name: Patron name.
GROUP_NAMES = {
    "code": "code",
    "title": "title",
    "description": "description",
    "subscribable": "visibility",
    "subscribe_text": "subscribe_text",
    "parent_code": "parent",
}
ERROR_NAMES = {patron: xml for xml, patron in GROUP_NAMES.items()}


def _group_data(node: dict, path: str, errors: dict) -> dict:
    """Patron's group object for one UserGroup node; a blank parent_code is no parent."""
    values = node_values(node, fields=GROUP_FIELDS, lists=(), path=path, errors=errors)
    data = {}
    for xml, name in GROUP_NAMES.items():
        if xml not in values:
            continue
        if xml == "subscribable":
            try:
                public = boolean_clean(values[xml])
            except ValueError as error:
                errors[f"{path}.{xml}"] = [str(error)]
                continue
            data[name] = UserGroup.Visibility.PUBLIC if public else UserGroup.Visibility.PRIVATE
            continue
        text = text_value(values[xml], path=f"{path}.{xml}", errors=errors)
        if text is not None:
            data[name] = (text or None) if xml == "parent_code" else text
    return data


@transaction.atomic
def user_groups_write(*, nodes: list[dict]) -> list[tuple[UserGroup, bool]]:
    """Create or update each node's group by code, all or nothing; return (group, created).
    Raises NodesInvalid naming every refused field ("UserGroup.<index>.<field>")."""
    errors: dict = {}
    items = [_group_data(node, f"UserGroup.{index}", errors) for index, node in enumerate(nodes)]
    if errors:
        raise NodesInvalid(errors)
    try:
        return groups_upsert(items=items)
    except ItemsValidationError as invalid:
        raise NodesInvalid(_errors_named(invalid.items)) from None


def _errors_named(items: dict[str, dict]) -> dict[str, list[str]]:
    return {
        f"UserGroup.{index}.{ERROR_NAMES.get(name, name)}": messages
        for index, fields in items.items()
        for name, messages in fields.items()
    }

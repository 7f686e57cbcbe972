"""What each row of an import would change, field by field (the admin's preview).

Read before the batch is written: one query for the stored customers, one for their groups
and one for their addresses, whatever the batch's size.
"""

import datetime
import json
from dataclasses import dataclass, field

from customers.imports.rows import ADDRESS_TEXT_FIELDS, CleanRow, RowContext
from customers.models import Address, Customer
from groups.models import UserCustomerGroup

CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"
PASSWORD_SET, PASSWORD_NEW = "(a password)", "(a new password)"


@dataclass
class RowChange:
    """One row's effect: `fields` lists (name, old, new) as text; none when unchanged."""

    line: int
    email: str
    status: str
    fields: list[tuple[str, str, str]] = field(default_factory=list)
    # A row that would overwrite newer edits (imports.newer_edits) says so here.
    warning: str = ""


def value_text(value) -> str:
    """A value as the preview shows it (the export's notation)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def _address_text(values: dict) -> str:
    return ", ".join(values[name] for name in ADDRESS_TEXT_FIELDS if values.get(name))


def _stored(rows: list[CleanRow]) -> dict[tuple[int, str], dict]:
    names = sorted({name for row in rows for name in row.values})
    customers = Customer.objects.filter(
        channel_id__in={row.channel_id for row in rows}, email__in={row.email for row in rows}
    ).values("id", "channel_id", "email", *names)
    return {(values["channel_id"], values["email"]): values for values in customers}


def _children(ids: list[int], codes: dict[int, str]) -> tuple[dict, dict]:
    groups: dict[int, list[str]] = {pk: [] for pk in ids}
    addresses: dict[int, set[tuple]] = {pk: set() for pk in ids}
    memberships = UserCustomerGroup.objects.filter(customer_id__in=ids)
    for customer_id, group_id, code in memberships.values_list(
        "customer_id", "group_id", "group__code"
    ):
        codes.setdefault(group_id, code)
        groups[customer_id].append(code)
    for customer_id, *content in Address.objects.filter(customer_id__in=ids).values_list(
        "customer_id", *ADDRESS_TEXT_FIELDS
    ):
        addresses[customer_id].add(tuple(content))
    return groups, addresses


def _fields_changed(row: CleanRow, old: dict) -> list[tuple[str, str, str]]:
    changed = []
    for name, new in row.values.items():
        if name == "password":
            changed.append((name, PASSWORD_SET if old[name] else "", PASSWORD_NEW))
        elif old[name] != new:
            changed.append((name, value_text(old[name]), value_text(new)))
    return changed


def rows_diff(rows: list[CleanRow], context: RowContext) -> list[RowChange]:
    """What each row would do to its customer: create it, change which fields (old -> new,
    groups and added addresses included), or nothing."""
    stored = _stored(rows)
    codes = {pk: code for code, pk in context.groups.items()}
    groups, addresses = _children([values["id"] for values in stored.values()], codes)
    changes = []
    for row in rows:
        old = stored.get(row.key)
        if old is None:
            changes.append(RowChange(row.line, row.email, CREATE))
            continue
        fields = _fields_changed(row, old)
        if row.groups is not None:
            before = sorted(groups[old["id"]])
            after = sorted(codes[pk] for pk in row.groups)
            if before != after:
                fields.append(("groups", "|".join(before), "|".join(after)))
        for address in row.addresses:
            content = tuple(address.get(name, "") for name in ADDRESS_TEXT_FIELDS)
            if content not in addresses[old["id"]]:
                fields.append(("address", "", f"+ {_address_text(address)}"))
        changes.append(RowChange(row.line, row.email, UPDATE if fields else UNCHANGED, fields))
    return changes

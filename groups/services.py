"""Every write to groups and memberships goes through here."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Subquery
from django.utils.translation import gettext_lazy as _

from config.database import advisory_xact_lock
from config.versions import EntityTags, version_check, version_next, version_save, versions_bump
from customers.models import Customer
from events import types
from events.services import events_emit, fields_changed, fields_stored
from groups.event_sources import GROUP, MEMBERSHIP
from groups.models import UserCustomerGroup, UserGroup
from groups.selectors import group_ancestors

# The fields of its own a group write copies from the data (the parent is resolved apart).
GROUP_FIELDS = ("code", "title", "description", "visibility", "subscribe_text")

UNKNOWN_GROUPS = _("Unknown group code(s): {codes}.")
UNKNOWN_GROUP = _("Unknown group: {code}.")
UNKNOWN_PARENT = _("Unknown parent group: {code}.")
PARENT_CYCLE = _("A group cannot be its own ancestor: {cycle}.")
MEMBERSHIP_EXISTS = _("The customer is already a member of {code}.")
MEMBERSHIP_GROUP_IMMUTABLE = _(
    "The group of a membership cannot change; delete it and add another."
)

# Changes to the shape of the group tree queue on this lock (PostgreSQL), so each checks for a
# cycle against what the previous one committed: concurrent a → b and b → a cannot both pass.
GROUP_TREE_LOCK = "groups.tree"


class ItemsValidationError(ValidationError):
    """A list write was refused: `items` maps each invalid item's index to its field errors."""

    def __init__(self, items: dict[str, dict]):
        self.items = items
        super().__init__({"items": [f"{len(items)} invalid item(s): {', '.join(items)}."]})


def _resolve_parent(code: str | None) -> UserGroup | None:
    if code is None:
        return None
    parent = UserGroup.objects.filter(code=code).first()
    if parent is None:
        raise ValidationError({"parent": [UNKNOWN_PARENT.format(code=code)]})
    return parent


def group_parent_check(*, group: UserGroup, parent: UserGroup | None) -> None:
    """Refuse a parent that is the group itself or one of its descendants."""
    if parent is None or group.pk is None:
        return
    chain = group_ancestors(group_id=parent.pk)
    ids = [pk for pk, _ in chain]
    if group.pk in ids:
        path = [group.code, *(code for _, code in chain[: ids.index(group.pk)]), group.code]
        raise ValidationError({"parent": [PARENT_CYCLE.format(cycle=" → ".join(path))]})


def _save_group(group: UserGroup, data: dict) -> UserGroup:
    before = fields_stored(group)
    for field in GROUP_FIELDS:
        if field in data:
            setattr(group, field, data[field])
    if "parent" in data:
        if group.pk is not None:
            advisory_xact_lock(GROUP_TREE_LOCK)
        parent = _resolve_parent(data["parent"])
        group_parent_check(group=group, parent=parent)
        group.parent = parent
    group.full_clean()
    version_save(group)
    if before is None:
        events_emit(GROUP, types.GROUP_CREATED, [group.pk])
    elif changed := fields_changed(before, group):
        events_emit(GROUP, types.GROUP_UPDATED, {group.pk: changed})
    return group


@transaction.atomic
def group_create(*, data: dict) -> UserGroup:
    """Create a group; `parent` is a code (or None)."""
    return _save_group(UserGroup(), data)


@transaction.atomic
def group_update(*, group: UserGroup, data: dict, if_match: EntityTags | None = None) -> UserGroup:
    """Change a group; a `parent` that would make it its own ancestor raises ValidationError.
    With `if_match`, only from a version it names (else PreconditionFailed)."""
    version_check(UserGroup, group.pk, if_match)
    return _save_group(group, data)


@transaction.atomic
def groups_create(*, items: list[dict]) -> list[UserGroup]:
    """Create the groups in order, all or nothing; parents may name groups created earlier.

    Raises ItemsValidationError with the errors of every invalid item, writing nothing.
    """
    created, errors = [], {}
    for index, data in enumerate(items):
        try:
            with transaction.atomic():
                created.append(group_create(data=data))
        except ValidationError as error:
            errors[str(index)] = error.message_dict
    if errors:
        transaction.set_rollback(True)
        raise ItemsValidationError(errors)
    return created


@transaction.atomic
def group_delete(*, group: UserGroup, if_match: EntityTags | None = None) -> None:
    """Delete a group and its memberships; its children move up to the group's parent.
    With `if_match`, only at a version it names (else PreconditionFailed).

    The members' and the children's versions count the change (their answers show it)."""
    version_check(UserGroup, group.pk, if_match)
    advisory_xact_lock(GROUP_TREE_LOCK)
    children = list(UserGroup.objects.filter(parent=group).values_list("pk", flat=True))
    # The parent as committed now (read in the statement, after the lock), not as loaded.
    stored_parent = UserGroup.objects.filter(pk=group.pk).values("parent_id")
    UserGroup.objects.filter(pk__in=children).update(
        parent_id=Subquery(stored_parent), version=version_next()
    )
    events_emit(GROUP, types.GROUP_UPDATED, dict.fromkeys(children, ["parent"]))
    memberships = UserCustomerGroup.objects.filter(group=group)
    versions_bump(Customer.objects.filter(pk__in=memberships.values("customer_id")))
    removed = memberships.order_by("pk").values_list("pk", flat=True)
    events_emit(MEMBERSHIP, types.MEMBERSHIP_REMOVED, removed, tombstone=True)
    events_emit(GROUP, types.GROUP_DELETED, [group.pk], tombstone=True)
    memberships.delete()
    group.delete()


def _membership_customer_touch(
    membership: UserCustomerGroup, if_match: EntityTags | None = None
) -> None:
    """Count a change of the customer (its answer shows its groups), locking it first as every
    writer of a customer's rows does; then check a stored membership's If-Match."""
    versions_bump(Customer.objects.filter(pk=membership.customer_id))
    if membership.pk is not None:
        version_check(UserCustomerGroup, membership.pk, if_match)


@transaction.atomic
def membership_create(
    *, customer: Customer, group_code: str, subscribed: bool = True, attributes: dict | None = None
) -> UserCustomerGroup:
    """Add the customer to a group; an unknown group or an existing membership raises."""
    group = UserGroup.objects.filter(code=group_code).first()
    if group is None:
        raise ValidationError({"group": [UNKNOWN_GROUP.format(code=group_code)]})
    exists = ValidationError({"group": [MEMBERSHIP_EXISTS.format(code=group_code)]})
    if UserCustomerGroup.objects.filter(customer=customer, group=group).exists():
        raise exists
    membership = UserCustomerGroup(
        customer=customer, group=group, subscribed=subscribed, attributes=attributes or {}
    )
    _membership_customer_touch(membership)
    try:
        with transaction.atomic():
            membership.save()
    except IntegrityError:
        # Lost a race with a concurrent insert of the same membership.
        raise exists from None
    events_emit(MEMBERSHIP, types.MEMBERSHIP_ADDED, [membership.pk])
    return membership


@transaction.atomic
def membership_update(
    *, membership: UserCustomerGroup, data: dict, if_match: EntityTags | None = None
) -> UserCustomerGroup:
    """Change a membership's `subscribed` flag and/or `attributes`. With `if_match`, only
    from a version it names (else PreconditionFailed)."""
    group_code = data.get("group")
    if group_code is not None and group_code != membership.group.code:
        raise ValidationError({"group": [MEMBERSHIP_GROUP_IMMUTABLE]})
    _membership_customer_touch(membership, if_match)
    before = fields_stored(membership)
    for field in ("subscribed", "attributes"):
        if field in data:
            setattr(membership, field, data[field])
    version_save(membership)
    if changed := fields_changed(before, membership):
        events_emit(MEMBERSHIP, types.MEMBERSHIP_UPDATED, {membership.pk: changed})
    return membership


@transaction.atomic
def membership_delete(*, membership: UserCustomerGroup, if_match: EntityTags | None = None) -> None:
    """Remove the customer from the group. With `if_match`, only at a version it names (else
    PreconditionFailed)."""
    _membership_customer_touch(membership, if_match)
    events_emit(MEMBERSHIP, types.MEMBERSHIP_REMOVED, [membership.pk], tombstone=True)
    membership.delete()


@transaction.atomic
def groups_upsert(*, items: list[dict]) -> list[tuple[UserGroup, bool]]:
    """Create or update groups by `code`, in order, all or nothing; return (group, created)
    for each item. An existing group changes only the fields its item sends; a parent may
    name a group written earlier in the same list.

    Raises ItemsValidationError with the errors of every invalid item, writing nothing.
    """
    written, errors = [], {}
    for index, data in enumerate(items):
        try:
            with transaction.atomic():
                group = UserGroup.objects.filter(code=data.get("code")).first()
                if group is None:
                    written.append((group_create(data=data), True))
                else:
                    written.append((group_update(group=group, data=data), False))
        except ValidationError as error:
            errors[str(index)] = error.message_dict
    if errors:
        transaction.set_rollback(True)
        raise ItemsValidationError(errors)
    return written

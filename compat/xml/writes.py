"""Customer nodes written through the native services: create or update by username.

A POST's nodes are written in order, all or nothing: every refused node is reported (under
"Customer.<index>.<field>") and nothing is written. A stored customer changes only the
fields its node sends; a new one needs what a native create needs (an e-mail).
"""

from django.db import transaction

from compat.xml.customers import CUSTOM_DATA, CustomerInput
from compat.xml.nodes import ONE_VALUE, NodesInvalid, text_value
from config.versions import EntityTags
from customers.imports.rows import REQUIRED, RowInvalid
from customers.models import Channel, Customer
from customers.selectors import customer_list, customer_memberships
from customers.services import customer_validate, customer_write
from groups.services import membership_update

USERNAME_KEY = "The username is the customer's key: send the one of the URL ({username})."


def customer_by_username(*, user, channel: Channel, username: str) -> Customer | None:
    """The customer with this username in the channel, if the user may see it."""
    return customer_list(user=user).filter(channel=channel, username=username).first()


def _node_username(node: dict, path: str, errors: dict) -> str | None:
    value = node.get("username")
    if isinstance(value, list):
        if len(value) != 1:
            raise NodesInvalid({f"{path}.username": [str(ONE_VALUE)]})
        value = value[0]
    return text_value(value, path=f"{path}.username", errors=errors) if value is not None else None


@transaction.atomic
def customers_write(
    *,
    nodes: list[dict],
    channel: Channel,
    user,
    embed: tuple,
    customer: Customer | None = None,
    if_match: EntityTags | None = None,
) -> list[tuple[Customer, bool]]:
    """Write each node; return (customer, created) per node. `customer`: the one a PUT's
    URL names (its node may change only it), written only at a version `if_match` names
    (else PreconditionFailed). Raises NodesInvalid, writing nothing."""
    written, errors = [], {}
    target = {"customer": customer, "if_match": if_match}
    for index, node in enumerate(nodes):
        try:
            written.append(_node_write(node, f"Customer.{index}", channel, user, embed, target))
        except NodesInvalid as invalid:
            errors.update(invalid.errors)
    if errors:
        raise NodesInvalid(errors)
    return written


def _target(node: dict, path: str, channel, user, customer) -> Customer | None:
    """The stored customer a node changes: a PUT's, else the one with its username."""
    errors: dict = {}
    username = _node_username(node, path, errors)
    if customer is not None:
        if username is not None and username != customer.username:
            message = USERNAME_KEY.format(username=customer.username)
            errors.setdefault(f"{path}.username", [message])
    elif not username and not errors:
        errors[f"{path}.username"] = [str(REQUIRED)]
    if errors:
        raise NodesInvalid(errors)
    return customer or customer_by_username(user=user, channel=channel, username=username)


def _node_write(node: dict, path: str, channel, user, embed, target) -> tuple[Customer, bool]:
    stored = _target(node, path, channel, user, target["customer"])
    read = CustomerInput(node, customer=stored, path=path, embed=embed)
    if read.errors:
        raise NodesInvalid(read.errors)
    data = {**read.data, "channel": channel.code}
    try:
        row = customer_validate(
            data=data,
            channels=Channel.objects.filter(pk=channel.pk),
            customer=stored,
            partial=stored is not None,
        )
        written = customer_write(row=row, user_id=user.pk, if_match=target["if_match"])
    except RowInvalid as invalid:
        raise NodesInvalid(read.errors_named(invalid.errors)) from None
    _memberships_apply(written, read.memberships)
    return written, stored is None


def _memberships_apply(customer: Customer, sent: dict[str, dict]) -> None:
    """Each membership's own fields sent: `subscribed` and its custom data (attributes)."""
    if not any(sent.values()):
        return
    for membership in customer_memberships(customer):
        own = sent.get(membership.group.code)
        if not own:
            continue
        data = {}
        if "subscribed" in own:
            data["subscribed"] = own["subscribed"]
        if "custom_data" in own:
            attributes = dict(membership.attributes)
            for name in CUSTOM_DATA:
                if name in own["custom_data"]:
                    attributes.pop(name, None)
                    if own["custom_data"][name]:
                        attributes[name] = own["custom_data"][name]
            data["attributes"] = attributes
        membership_update(membership=membership, data=data)

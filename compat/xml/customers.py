"""A Customer node (the XML API's names) to Patron's customer object and back.

The names map onto Patron's fields as the README's table says: `b_*` are the customer's own
names and company plus its billing address (the address with is_billing), the shipping
fields `fname`…`country` its default address, `inactive` its status, `no_email` the
negation of `email_allowed`, `custom_data1`…`custom_data4` keys of `extra_field`. Every rule
(what a value may be, what is unique) is the native API's: this module only renames.
"""

from decimal import Decimal

from compat.xml.addresses import BILLING_FIELDS, SHIPPING_FIELDS, addresses_for
from compat.xml.nodes import node_values, text_value
from customers.imports.rows import boolean_clean
from customers.models import Customer
from customers.selectors import customer_addresses, customer_memberships

CUSTOMER_FIELDS = {  # XML name: Patron name, one to one
    "username": "username",
    "email": "email",
    "phone_day": "phone",
    "phone_night": "phone_secondary",
    "b_company": "company",
    "b_fname": "first_name",
    "b_lname": "last_name",
}
OTHER_FIELDS = {  # XML name: Patron name, translated
    "inactive": "status",
    "discount": "discount_percent",
    "no_email": "email_allowed",
    "mv_shipmode": "preferred_shipping_method",
}
CUSTOM_DATA = ("custom_data1", "custom_data2", "custom_data3", "custom_data4")
# Written, never read back (the seed returned the hash: Patron returns neither).
WRITE_ONLY = ("password",)
READ_FIELDS = (
    *CUSTOMER_FIELDS,
    *BILLING_FIELDS,
    *SHIPPING_FIELDS,
    *OTHER_FIELDS,
    *CUSTOM_DATA,
)
WRITE_FIELDS = (*READ_FIELDS, *WRITE_ONLY)
GROUPS_NODE = "UserCustomerGroup"
GROUP_NODE = "UserGroup"
MEMBERSHIP_FIELDS = ("code", "username", "group_code", "subscribed", *CUSTOM_DATA)
GROUP_FIELDS = (
    "code",
    "title",
    "description",
    "subscribable",
    "subscribe_text",
    "parent_code",
)
# Patron's names of errors back to the XML names (address errors are mapped by block).
ERROR_NAMES = {
    **{patron: xml for xml, patron in CUSTOMER_FIELDS.items()},
    **{patron: xml for xml, patron in OTHER_FIELDS.items()},
    "groups": GROUPS_NODE,
    "extra_field": CUSTOM_DATA[0],
    "password": "password",
}
GROUPS_ELSEWHERE = (
    "UserCustomerGroup nodes are written through Customer+UserCustomerGroups (or "
    "Customer+(UserCustomerGroups+UserGroups)), not Customer."
)
MEMBERSHIP_USERNAME = "A membership's username must be its customer's ({username})."


# --- reading -------------------------------------------------------------------------------


def _flagged(addresses: list, flag: str):
    return next((address for address in addresses if getattr(address, flag)), None)


def _address_values(address, fields: dict) -> dict:
    return {xml: getattr(address, name) if address else "" for xml, name in fields.items()}


def _number(value: Decimal) -> int | float:
    """A percentage as the seed's int, keeping Patron's decimals when there are any."""
    return int(value) if value == value.to_integral_value() else float(value)


def _custom_data(values: dict) -> dict:
    return {name: _custom_text(values.get(name)) for name in CUSTOM_DATA}


def _custom_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def group_node(group) -> dict:
    """A UserGroup node of a group (its parent loaded)."""
    return {
        "code": group.code,
        "title": group.title,
        "description": group.description,
        "subscribable": group.visibility == group.Visibility.PUBLIC,
        "subscribe_text": group.subscribe_text,
        "parent_code": group.parent.code if group.parent_id else "",
    }


def _membership_node(customer, membership, *, with_group: bool) -> dict:
    node = {
        "code": membership.pk,
        "username": customer.username or "",
        "group_code": membership.group.code,
        "subscribed": membership.subscribed,
        **_custom_data(membership.attributes),
    }
    if with_group:
        node[GROUP_NODE] = [group_node(membership.group)]
    return node


def customer_node(customer: Customer, *, embed: tuple[str, ...] = ()) -> dict:
    """The Customer node of a customer, with its memberships (and their groups) embedded
    when `embed` names them. The password hash is never part of it."""
    addresses = customer_addresses(customer)
    node = {
        **{xml: getattr(customer, name) or "" for xml, name in CUSTOMER_FIELDS.items()},
        **_address_values(_flagged(addresses, "is_billing"), BILLING_FIELDS),
        **_address_values(_flagged(addresses, "is_default"), SHIPPING_FIELDS),
        "inactive": customer.status != Customer.Status.ACTIVE,
        "discount": _number(customer.discount_percent),
        "no_email": not customer.email_allowed,
        "mv_shipmode": customer.preferred_shipping_method,
        **_custom_data(customer.extra_field),
    }
    if GROUPS_NODE in embed:
        node[GROUPS_NODE] = [
            _membership_node(customer, membership, with_group=GROUP_NODE in embed)
            for membership in customer_memberships(customer)
        ]
    return node


# --- writing -------------------------------------------------------------------------------


class CustomerInput:
    """A Customer node read for a write: Patron's customer object (`data`), the memberships'
    own fields by group code (`memberships`), and what an error's Patron name is called here.

    `customer` is the stored customer this node changes (None: it is created); only the
    fields the node sends change.
    """

    def __init__(self, node: dict, *, customer: Customer | None, path: str, embed: tuple):
        self.customer, self.path, self.errors = customer, path, {}
        self.data: dict = {}
        self.memberships: dict[str, dict] = {}
        self.address_blocks: dict[int, dict] = {}
        lists = (GROUPS_NODE,) if GROUPS_NODE in embed else ()
        if GROUPS_NODE in node and not lists:
            self._error(GROUPS_NODE, [GROUPS_ELSEWHERE])
            node = {name: value for name, value in node.items() if name != GROUPS_NODE}
        self.values = node_values(
            node, fields=WRITE_FIELDS, lists=lists, path=path, errors=self.errors
        )
        self.nested_groups = GROUP_NODE in embed
        self._own_fields()
        self._addresses()
        if GROUPS_NODE in self.values:
            self._memberships(self.values[GROUPS_NODE])

    @property
    def username(self) -> str | None:
        return self.data.get("username")

    def _error(self, name: str, messages: list[str]) -> None:
        self.errors[f"{self.path}.{name}"] = messages

    def _own_fields(self) -> None:
        for xml, name in {**CUSTOMER_FIELDS, "mv_shipmode": "preferred_shipping_method"}.items():
            if xml in self.values:
                self.data[name] = self._text(xml, self.values[xml])
        for xml in ("password", "discount"):
            if xml in self.values:
                self.data[{"discount": "discount_percent"}.get(xml, xml)] = self.values[xml]
        self._flags()
        custom = {name: self.values[name] for name in CUSTOM_DATA if name in self.values}
        if custom:
            self.data["extra_field"] = self._custom_merge(
                self.customer.extra_field if self.customer else {}, custom, ""
            )

    def _text(self, xml: str, value):
        return text_value(value, path=f"{self.path}.{xml}", errors=self.errors)

    def _boolean(self, xml: str, value) -> bool | None:
        try:
            return boolean_clean(value)
        except ValueError as error:
            self._error(xml, [str(error)])
            return None

    def _flags(self) -> None:
        if "inactive" in self.values:
            inactive = self._boolean("inactive", self.values["inactive"])
            stored = self.customer.status if self.customer else Customer.Status.ACTIVE
            # A frozen customer reads inactive too: sending that back keeps it frozen.
            if inactive is not None and inactive != (stored != Customer.Status.ACTIVE):
                self.data["status"] = "inactive" if inactive else "active"
        if "no_email" in self.values:
            no_email = self._boolean("no_email", self.values["no_email"])
            if no_email is not None:
                self.data["email_allowed"] = not no_email

    def _custom_merge(self, stored: dict, sent: dict, prefix: str) -> dict:
        """The stored JSON object with the custom data fields sent: blank removes the key."""
        merged = dict(stored)
        for name, value in sent.items():
            text = self._text(f"{prefix}{name}", value)
            if text:
                merged[name] = text
            else:
                merged.pop(name, None)
        return merged

    def _block(self, fields: dict) -> dict:
        values = {
            name: self._text(xml, self.values[xml])
            for xml, name in fields.items()
            if xml in self.values
        }
        return {name: value for name, value in values.items() if value is not None}

    def _addresses(self) -> None:
        """Patron's `addresses` for the billing and shipping fields sent (compat.xml.addresses
        decides which address each block changes)."""
        billing, shipping = self._block(BILLING_FIELDS), self._block(SHIPPING_FIELDS)
        if not billing and not shipping:
            return
        stored = customer_addresses(self.customer) if self.customer else []
        items, blocks = addresses_for(stored, billing=billing, shipping=shipping)
        self.data["addresses"] = items
        self.address_blocks = blocks

    def _memberships(self, nodes: list[dict]) -> None:
        codes = []
        for index, node in enumerate(nodes):
            path = f"{GROUPS_NODE}.{index}"
            lists = (GROUP_NODE,) if self.nested_groups else ()
            values = node_values(
                node,
                fields=MEMBERSHIP_FIELDS,
                lists=lists,
                path=f"{self.path}.{path}",
                errors=self.errors,
            )
            code = self._text(f"{path}.group_code", values.get("group_code"))
            if "group_code" not in values:
                self._error(f"{path}.group_code", ["This field is required."])
            self._membership_username(path, values)
            codes.append(code)
            own = self._membership_fields(path, values)
            if code:
                self.memberships[code] = own
        self.data["groups"] = [code for code in codes if code]

    def _membership_username(self, path: str, values: dict) -> None:
        if "username" not in values:
            return
        expected = self.data.get("username") or (self.customer.username if self.customer else "")
        sent = self._text(f"{path}.username", values["username"])
        if sent is not None and sent != (expected or ""):
            self._error(f"{path}.username", [MEMBERSHIP_USERNAME.format(username=expected)])

    def _membership_fields(self, path: str, values: dict) -> dict:
        """`subscribed` and the custom data of a membership ("code" is its read-only id)."""
        own = {}
        if "subscribed" in values:
            subscribed = self._boolean(f"{path}.subscribed", values["subscribed"])
            if subscribed is not None:
                own["subscribed"] = subscribed
        custom = {
            name: self._text(f"{path}.{name}", values[name])
            for name in CUSTOM_DATA
            if name in values
        }
        custom = {name: text for name, text in custom.items() if text is not None}
        if custom:
            own["custom_data"] = custom
        return own

    def errors_named(self, errors: dict[str, list[str]]) -> dict[str, list[str]]:
        """Patron's errors of this node's object under their XML names and the node's path."""
        named = {}
        for key, messages in errors.items():
            named[f"{self.path}.{self._xml_name(key)}"] = messages
        return named

    def _xml_name(self, key: str) -> str:
        parts = key.split(".")
        if parts[0] == "addresses" and len(parts) == 3 and parts[1].isdigit():
            block = self.address_blocks.get(int(parts[1]), {})
            return block.get(parts[2], key)
        return ERROR_NAMES.get(key, key)

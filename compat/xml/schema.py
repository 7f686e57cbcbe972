"""The dialect's OpenAPI description: its node shapes, its tag, and XML beside JSON.

The serializers here only describe bodies for the schema (the views translate nodes with
compat.xml.customers and compat.xml.groups); their names are unique project-wide.
"""

from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from compat.xml.customers import CUSTOM_DATA
from config.schema import AutoSchema

TAG = "XML commerce API dialect"
_TEXT = {"required": False, "allow_blank": True}


def _texts(names) -> dict:
    return {name: serializers.CharField(**_TEXT) for name in names}


XmlUserGroupNodeSerializer = type(
    "XmlUserGroupNodeSerializer",
    (serializers.Serializer,),
    {
        **_texts(("code", "title", "description", "subscribe_text", "parent_code")),
        "subscribable": serializers.BooleanField(required=False),
    },
)
XmlUserCustomerGroupNodeSerializer = type(
    "XmlUserCustomerGroupNodeSerializer",
    (serializers.Serializer,),
    {
        "code": serializers.IntegerField(
            read_only=True, help_text="The membership's id (read-only)."
        ),
        **_texts(("username", "group_code", *CUSTOM_DATA)),
        "subscribed": serializers.BooleanField(required=False),
        "UserGroup": XmlUserGroupNodeSerializer(
            many=True, read_only=True, help_text="With Customer+(UserCustomerGroups+UserGroups)."
        ),
    },
)
_CUSTOMER_TEXTS = (
    "username",
    "email",
    "phone_day",
    "phone_night",
    "b_company",
    "b_fname",
    "b_lname",
    "b_address1",
    "b_address2",
    "b_address3",
    "b_city",
    "b_state",
    "b_zip",
    "b_country",
    "company",
    "fname",
    "lname",
    "address1",
    "address2",
    "address3",
    "city",
    "state",
    "zip",
    "country",
)
XmlCustomerNodeSerializer = type(
    "XmlCustomerNodeSerializer",
    (serializers.Serializer,),
    {
        **_texts(_CUSTOMER_TEXTS),
        "inactive": serializers.BooleanField(required=False),
        "discount": serializers.FloatField(required=False, min_value=0, max_value=100),
        "no_email": serializers.BooleanField(required=False),
        **_texts(("mv_shipmode", *CUSTOM_DATA)),
        "password": serializers.CharField(
            write_only=True, required=False, help_text="Stored hashed; never returned."
        ),
        "UserCustomerGroup": XmlUserCustomerGroupNodeSerializer(
            many=True, required=False, help_text="With Customer+UserCustomerGroups."
        ),
    },
)


class XmlCustomerNodesSerializer(serializers.Serializer):
    Customer = XmlCustomerNodeSerializer(many=True)


class XmlCustomerResultSetSerializer(serializers.Serializer):
    ResultSet = XmlCustomerNodesSerializer()


class XmlUserGroupNodesSerializer(serializers.Serializer):
    UserGroup = XmlUserGroupNodeSerializer(many=True)


class XmlUserGroupResultSetSerializer(serializers.Serializer):
    ResultSet = XmlUserGroupNodesSerializer()


IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    description='Write only if the customer is still at one of these versions (its ETag, `"3"`; '
    "`*` for any), else 412 and nothing changes.",
)
# Customer versions guard the writes of one customer.
_CONDITIONAL_METHODS = ("PUT", "DELETE")


class XmlDialectSchema(AutoSchema):
    """The project's schema generator, with every JSON answer also documented as XML (the
    dialect answers XML unless JSON is asked for) and If-Match on a customer's PUT and DELETE.

    Request bodies are documented as JSON only, the form generated clients can send; XML
    bodies (`application/xml`, `text/xml`) are the same document (README)."""

    def map_parsers(self):
        return ["application/json"]

    def get_override_parameters(self):
        conditional = [IF_MATCH] if self.method in _CONDITIONAL_METHODS else []
        return [*super().get_override_parameters(), *conditional]

    def _error_codes(self) -> list[str]:
        codes = super()._error_codes()
        return [*codes, "412"] if self.method in _CONDITIONAL_METHODS else codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for response in responses.values():
            content = response.get("content") if isinstance(response, dict) else None
            if content and "application/json" in content:
                content.setdefault("application/xml", dict(content["application/json"]))
        return responses

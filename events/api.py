"""GET /api/v1/events/: the change feed, read with a cursor."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from config.query_params import StrictQueryParamsMixin
from config.schema import AutoSchema
from config.unknown_names import closest_name
from config.values import INT64_MAX
from events.models import Event
from events.selectors import Cursor, event_list
from events.types import EVENT_TYPES, OBJECT_TYPES, TYPE_PATTERNS

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
BAD_CURSOR = _("Not a cursor: send the `next` of an earlier answer, or leave `after` out.")
UNKNOWN_TYPE = _("Unknown event type '{name}'.")
FEED_PARAMS = ("after", "limit", "type", "object_type", "object_id")


class EventFeedQuerySerializer(serializers.Serializer):
    """The feed's query parameters."""

    after = serializers.CharField(required=False)
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT)
    type = serializers.CharField(required=False)
    object_type = serializers.ChoiceField(choices=OBJECT_TYPES, required=False)
    object_id = serializers.IntegerField(min_value=1, max_value=INT64_MAX, required=False)

    def validate_after(self, value: str) -> Cursor:
        try:
            return Cursor.parse(value)
        except ValueError:
            raise serializers.ValidationError(BAD_CURSOR) from None

    def validate_type(self, value: str) -> list[str]:
        names = [name.strip() for name in value.split(",") if name.strip()]
        known = (*EVENT_TYPES, *TYPE_PATTERNS)
        for name in names:
            if name not in known:
                suggestion = closest_name(name, known)
                hint = f" Did you mean '{suggestion}'?" if suggestion else ""
                raise serializers.ValidationError(UNKNOWN_TYPE.format(name=name) + hint)
        return names


class EventOutputSerializer(serializers.ModelSerializer):
    cursor = serializers.CharField(read_only=True, help_text="`after` to read past this event.")
    changed = serializers.ListField(
        child=serializers.CharField(),
        allow_null=True,
        help_text="The changed fields of an `*.updated` event; null otherwise.",
    )
    payload = serializers.DictField(
        help_text="The object as stored (no secrets); a deletion or anonymization keeps ids only."
    )

    class Meta:
        model = Event
        fields = [
            "id",
            "cursor",
            "type",
            "channel",
            "object_type",
            "object_id",
            "occurred_at",
            "actor_user_id",
            "actor_source",
            "changed",
            "payload",
        ]


class EventPageSerializer(serializers.Serializer):
    next = serializers.CharField(help_text="The `after` of the next read, also when empty.")
    results = EventOutputSerializer(many=True)


_PARAMETERS = [
    OpenApiParameter(
        "after", OpenApiTypes.STR, description="A cursor (`next`); absent: from the start."
    ),
    OpenApiParameter(
        "limit", OpenApiTypes.INT, description=f"1 to {MAX_LIMIT} (default {DEFAULT_LIMIT})."
    ),
    OpenApiParameter(
        "type",
        OpenApiTypes.STR,
        description="Comma-separated types (`customer.updated`) or objects (`customer.*`).",
    ),
    OpenApiParameter("object_type", OpenApiTypes.STR, enum=list(OBJECT_TYPES)),
    OpenApiParameter("object_id", OpenApiTypes.INT),
]


class EventFeedSchema(AutoSchema):
    """The feed answers one page object, not a list of them (its action is still `list`)."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


class EventViewSet(StrictQueryParamsMixin, viewsets.GenericViewSet):
    """The change feed: every committed change, in order, from a cursor."""

    schema = EventFeedSchema()
    queryset = Event.objects.none()  # for the permissions and the schema
    serializer_class = EventOutputSerializer
    pagination_class = None
    filter_backends = []

    def known_query_params(self) -> set[str]:
        return {*super().known_query_params(), *FEED_PARAMS} - {"fields"}

    @extend_schema(
        tags=["Events"],
        summary="Read the change feed",
        parameters=_PARAMETERS,
        responses=EventPageSerializer,
    )
    def list(self, request):
        """Read the events after `after`, oldest first. Poll with the answer's `next`: an
        event committed later never sorts before it (gap-free), and none is served twice."""
        query = EventFeedQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = dict(query.validated_data)
        after = params.pop("after", Cursor())
        events = event_list(
            user=request.user,
            after=after,
            limit=params.pop("limit"),
            types=params.pop("type", None),
            **params,
        )
        cursor = events[-1].cursor if events else str(after)
        return Response({"next": cursor, "results": EventOutputSerializer(events, many=True).data})

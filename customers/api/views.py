from rest_framework import viewsets

from customers.api.serializers import ChannelSerializer
from customers.models import Channel
from customers.selectors import channel_list
from customers.services import channel_create, channel_update


class ChannelViewSet(viewsets.ModelViewSet):
    queryset = Channel.objects.none()  # for the schema; requests use get_queryset()
    serializer_class = ChannelSerializer
    lookup_field = "code"
    filterset_fields = {"is_active": ["exact"], "currency": ["exact"]}
    ordering_fields = ["code", "name", "created_at", "updated_at"]
    ordering = ["code"]

    def get_queryset(self):
        return channel_list(user=self.request.user)

    def perform_create(self, serializer):
        serializer.instance = channel_create(data=serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = channel_update(
            channel=serializer.instance, data=serializer.validated_data
        )

"""The textbook DRF list: ModelSerializer, ModelViewSet, django-filter, PageNumberPagination."""

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import pagination, serializers, viewsets

from .models import Address, Customer


class PlainAddressSerializer(serializers.ModelSerializer):
    class Meta:
        model = Address
        exclude = ["customer"]


class PlainCustomerSerializer(serializers.ModelSerializer):
    channel = serializers.SlugRelatedField(slug_field="code", read_only=True)
    addresses = PlainAddressSerializer(many=True, read_only=True)

    class Meta:
        model = Customer
        fields = "__all__"


class PlainPagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class PlainCustomerViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = (
        Customer.objects.select_related("channel").prefetch_related("addresses").order_by("id")
    )
    serializer_class = PlainCustomerSerializer
    pagination_class = PlainPagination
    filter_backends = [DjangoFilterBackend]
    filterset_fields = ["email", "status", "gender", "channel__code", "erp_code"]

import django_filters

from config.filtering import PkAliasMixin
from customers.filters import DayFilter, GivenFiltersMixin
from orders.models import Order, OrderStatus


class CharInFilter(django_filters.BaseInFilter, django_filters.CharFilter):
    pass


class NumberInFilter(django_filters.BaseInFilter, django_filters.NumberFilter):
    pass


class OrderFilterSet(GivenFiltersMixin, PkAliasMixin, django_filters.FilterSet):
    id__in = NumberInFilter(field_name="id", lookup_expr="in", help_text="Comma-separated ids.")
    channel = django_filters.CharFilter(field_name="channel__code")
    channel__in = CharInFilter(field_name="channel__code", lookup_expr="in")
    customer = django_filters.NumberFilter(field_name="customer_id")
    customer__in = NumberInFilter(field_name="customer_id", lookup_expr="in")
    status = django_filters.ChoiceFilter(choices=OrderStatus.choices)
    status__in = django_filters.MultipleChoiceFilter(
        field_name="status", choices=OrderStatus.choices, widget=django_filters.widgets.CSVWidget
    )
    email = django_filters.CharFilter(field_name="customer__email", method="filter_email")
    placed_at__date = DayFilter(field_name="placed_at", help_text="Placed on this day (UTC).")

    class Meta:
        model = Order
        fields = {
            "id": ["exact", "gt", "gte", "lt", "lte"],
            "number": ["exact"],
            "placed_at": ["exact", "gt", "gte", "lt", "lte", "date"],
            "total": ["gt", "gte", "lt", "lte"],
        }

    def filter_email(self, queryset, name, value):
        # E-mails are stored trimmed and lower-cased.
        return queryset.filter(**{name: value.strip().lower()})

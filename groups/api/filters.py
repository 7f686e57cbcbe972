import django_filters

from config.filtering import PkAliasMixin
from customers.filters import CustomerNameFilterSet
from customers.models import Customer
from customers.search import folded_field_q
from groups.models import UserGroup


class GroupFilterSet(django_filters.FilterSet):
    parent = django_filters.CharFilter(field_name="parent__code", help_text="Parent group code.")
    is_root = django_filters.BooleanFilter(
        field_name="parent", lookup_expr="isnull", help_text="true: only top-level groups."
    )
    title__icontains = django_filters.CharFilter(
        method="filter_title_contains",
        help_text="Text inside the title, in any case and with or without accents.",
    )

    class Meta:
        model = UserGroup
        fields = {
            "code": ["exact", "in", "startswith"],
            "title": ["exact"],
            "visibility": ["exact"],
        }

    def filter_title_contains(self, queryset, name, value):
        # Groups are few: a scan of the folded titles costs nothing worth an index.
        return queryset.filter(folded_field_q("title", "icontains", value))


class GroupMemberFilterSet(PkAliasMixin, CustomerNameFilterSet):
    """Filters of a group's member list: the customer list's name filters, ids, e-mails and
    the membership's opt-in flag."""

    subscribed = django_filters.BooleanFilter(
        field_name="subscribed", help_text="The member's opt-in flag for this group."
    )

    class Meta:
        model = Customer
        fields = {
            "id": ["exact", "gt", "gte", "lt", "lte"],
            "email": ["exact", "startswith", "istartswith"],
        }

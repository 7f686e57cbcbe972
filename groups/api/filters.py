import django_filters

from config.filtering import PkAliasMixin
from customers.models import Customer
from groups.models import UserGroup


class GroupFilterSet(django_filters.FilterSet):
    parent = django_filters.CharFilter(field_name="parent__code", help_text="Parent group code.")
    is_root = django_filters.BooleanFilter(
        field_name="parent", lookup_expr="isnull", help_text="true: only top-level groups."
    )

    class Meta:
        model = UserGroup
        fields = {
            "code": ["exact", "in", "startswith"],
            "title": ["exact", "icontains"],
            "visibility": ["exact"],
        }


class GroupMemberFilterSet(PkAliasMixin, django_filters.FilterSet):
    """Filters of a group's member list.

    To be replaced by a subclass of the customer list's CustomerFilterSet (keeping `subscribed`).
    """

    subscribed = django_filters.BooleanFilter(
        field_name="subscribed", help_text="The member's opt-in flag for this group."
    )

    class Meta:
        model = Customer
        fields = {
            "id": ["exact", "gt", "gte", "lt", "lte"],
            "email": ["exact", "startswith", "istartswith"],
            "first_name": ["exact", "istartswith"],
            "last_name": ["exact", "istartswith"],
        }

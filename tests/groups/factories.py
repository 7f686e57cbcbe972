import factory

from groups.models import UserCustomerGroup, UserGroup
from tests.customers.factories import CustomerFactory


class UserGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UserGroup
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"group-{n}")
    title = factory.LazyAttribute(lambda group: group.code.title())


class UserCustomerGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UserCustomerGroup

    customer = factory.SubFactory(CustomerFactory)
    group = factory.SubFactory(UserGroupFactory)

import factory

from groups.models import UserCustomerGroup, UserGroup
from tests.customers.factories import CodedFactory, CustomerFactory


class UserGroupFactory(CodedFactory):
    class Meta:
        model = UserGroup

    code = factory.Sequence(lambda n: f"group-{n}")
    title = factory.LazyAttribute(lambda group: group.code.title())


class UserCustomerGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UserCustomerGroup

    customer = factory.SubFactory(CustomerFactory)
    group = factory.SubFactory(UserGroupFactory)

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


def group_chain(*codes: str) -> list[UserGroup]:
    """The groups codes[0] > codes[1] > ..., each the parent of the next; root first."""
    chain: list[UserGroup] = []
    for code in codes:
        chain.append(UserGroupFactory(code=code, parent=chain[-1] if chain else None))
    return chain

import factory

from customers.models import Address, Channel, Customer


class CodedFactory(factory.django.DjangoModelFactory):
    """A model with a unique `code`: a code given again gets the row that has it."""

    class Meta:
        abstract = True
        django_get_or_create = ("code",)


class ChannelFactory(CodedFactory):
    class Meta:
        model = Channel

    code = factory.Sequence(lambda n: f"channel-{n}")
    name = factory.LazyAttribute(lambda channel: channel.code.title())
    currency = "USD"


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    channel = factory.SubFactory(ChannelFactory)
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    phone = factory.Faker("numerify", text="+1 555 ### ####")


class AddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Address

    customer = factory.SubFactory(CustomerFactory)
    address = factory.Faker("street_name")
    number = factory.Faker("building_number")
    city = factory.Faker("city")
    zipcode = factory.Faker("postcode")
    country = "US"

import uuid

import factory

from webhooks.models import Delivery, Subscription
from webhooks.signing import secret_generate


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscription

    url = factory.Sequence(lambda n: f"https://93.184.216.34/hooks/{n}")
    event_types = factory.LazyFunction(lambda: ["*"])
    secret = factory.LazyFunction(secret_generate)


class DeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Delivery

    subscription = factory.SubFactory(SubscriptionFactory)
    event_id = factory.LazyFunction(uuid.uuid4)
    event_type = "customer.updated"
    payload = factory.LazyAttribute(lambda d: {"id": str(d.event_id), "type": d.event_type})

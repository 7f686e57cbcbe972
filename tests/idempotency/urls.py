"""A test-only route whose write ends as the body says: an answer, a 400, or a crash (500).

The API's own views never answer 5xx or keep 409 on purpose; this one shows what the
Idempotency-Key mixin does with every outcome.
"""

from django.urls import path
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.models import Channel
from idempotency.api import IdempotentWritesMixin

REFUSED = "Refused after writing."


class ScriptedWriteView(IdempotentWritesMixin, APIView):
    """Creates the channel `code`, then answers with `status` (or raises, for `crash`/400)."""

    permission_classes = [IsAuthenticated]

    def post(self, request):
        channel = Channel.objects.create(code=request.data["code"], name="Scripted")
        outcome = request.data["outcome"]
        if outcome == "crash":
            raise RuntimeError("The handler failed after writing.")
        if outcome == "refuse":
            raise ValidationError({"code": [REFUSED]})
        headers = {"Location": f"/channels/{channel.code}/", "ETag": '"v1"', "X-Other": "yes"}
        return Response({"id": channel.pk}, status=outcome, headers=headers)


urlpatterns = [path("scripted/", ScriptedWriteView.as_view())]

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

PROTECTED = "This object is still referenced by other records and cannot be deleted."
CONFLICT = "The change conflicts with data written at the same time; retry."


def exception_handler(exc, context):
    """DRF's handler, plus Django validation errors as 400 and protected deletes as 409."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, ProtectedError):
        return Response({"detail": PROTECTED}, status=status.HTTP_409_CONFLICT)
    elif isinstance(exc, IntegrityError):
        # A last line of defence: services validate first, so this means a race lost.
        return Response(
            {"detail": CONFLICT},
            status=status.HTTP_409_CONFLICT,
        )
    return drf_exception_handler(exc, context)

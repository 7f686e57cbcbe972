import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.db.models import ProtectedError
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.database import database_failure, database_failure_detail, database_retry_after
from config.parsers import TOO_LARGE
from config.rest import errors_nest
from config.versions import PreconditionFailed

PROTECTED = _("This object is still referenced by other records and cannot be deleted.")
CONFLICT = _("The change conflicts with data written at the same time; retry.")
UNSTORABLE = _("A value is out of range or cannot be stored.")

logger = logging.getLogger(__name__)


class NotFoundWithBody(exceptions.NotFound):
    """A 404 whose body says more than `detail` (a merged customer names the kept one)."""

    def __init__(self, detail: str, **body):
        super().__init__(detail)
        self.body = body


def exception_handler(exc, context):
    """DRF's handler, plus Django validation errors as 400, protected deletes as 409 and a
    failed If-Match as 412; the database down or a statement cancelled at its timeout as 503."""
    if (failure := database_failure(exc)) is not None:
        return Response(
            {"detail": database_failure_detail(failure)},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": database_retry_after()},
        )
    if isinstance(exc, NotFoundWithBody):
        return Response({"detail": str(exc.detail), **exc.body}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, PreconditionFailed):
        return Response({"detail": exc.message}, status=status.HTTP_412_PRECONDITION_FAILED)
    if isinstance(exc, DjangoValidationError):
        # Dotted keys ("customer.email") nest as DRF nests a serializer's errors.
        detail = errors_nest(exc.message_dict) if hasattr(exc, "error_dict") else exc.messages
        detail = detail if isinstance(detail, dict) else {"detail": detail}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, ProtectedError):
        return Response({"detail": PROTECTED}, status=status.HTTP_409_CONFLICT)
    elif isinstance(exc, DataError | OverflowError):
        # A last line of defence: the parser, fields and filter backend refuse such values
        # first, so this names a gap to close. The exception's text may quote the value: keep
        # it out of the log and the answer.
        logger.warning("Unstorable value refused in %s", _view_name(context))
        return Response({"detail": UNSTORABLE}, status=status.HTTP_400_BAD_REQUEST)
    elif isinstance(exc, RequestDataTooBig):
        # DRF reads JSON bodies through request.body, which enforces the upload limit.
        detail = TOO_LARGE.format(limit=settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        return Response({"detail": detail}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    elif isinstance(exc, IntegrityError):
        # A last line of defence: services validate first, so this means a race lost.
        return Response(
            {"detail": CONFLICT},
            status=status.HTTP_409_CONFLICT,
        )
    return drf_exception_handler(exc, context)


def _view_name(context) -> str:
    view = context.get("view")
    return type(view).__name__ if view is not None else "an unknown view"

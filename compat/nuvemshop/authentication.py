"""Nuvemshop's own credentials header: `Authentication: bearer <token>`."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions

from accounts.authentication import ApiKeyAuthentication

HEADER = "HTTP_AUTHENTICATION"
INVALID_HEADER = "Invalid Authentication header: send 'bearer <token>'."


class NuvemshopBearerAuthentication(ApiKeyAuthentication):
    """Patron's API token, sent the way Nuvemshop apps send their access token: in an
    `Authentication` header (not `Authorization`) after the word `bearer` (any case)."""

    keyword = "bearer"

    def authenticate(self, request):
        parts = request.META.get(HEADER, "").split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(INVALID_HEADER)
        return self.authenticate_credentials(parts[1])


class NuvemshopBearerScheme(OpenApiAuthenticationExtension):
    """The header in the OpenAPI schema, as its own security scheme."""

    target_class = NuvemshopBearerAuthentication
    name = "nuvemshopBearer"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authentication",
            "description": "`bearer <token>`: a Patron API token, in Nuvemshop's header.",
        }

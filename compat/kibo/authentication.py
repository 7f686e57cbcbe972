"""Kibo's own header form: `Authorization: Bearer <token>` with a Patron API token."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from accounts.authentication import ApiKeyAuthentication


class BearerTokenAuthentication(ApiKeyAuthentication):
    """Patron's API key, sent the way Kibo OMS clients send their OAuth access token."""

    def authenticate_header(self, request):
        return "Bearer"


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Documents BearerTokenAuthentication as its own security scheme."""

    target_class = BearerTokenAuthentication
    name = "kiboBearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A Patron API token, as Kibo clients send theirs: "
            "`Authorization: Bearer <token>`.",
        }

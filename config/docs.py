"""The API's manual in the browser: Swagger UI and ReDoc, served by Patron itself.

Their scripts and styles come from drf-spectacular-sidecar through the static files, so the
pages work offline and under a Content-Security-Policy that allows this origin only. Swagger UI's
start-up script is served as a file of its own (the split view) and ReDoc's page starts it from
an element, so neither page has an inline script.
"""

from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView

# Inline styles: both bundles set style attributes from JavaScript (ReDoc's styled-components
# write <style> elements too). ReDoc renders its search index in a blob: worker.
DOCS_CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMixin:
    """Send DOCS_CONTENT_SECURITY_POLICY with every answer of the view."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Content-Security-Policy"] = DOCS_CONTENT_SECURITY_POLICY
        return response


class SwaggerView(ContentSecurityPolicyMixin, SpectacularSwaggerSplitView):
    """Swagger UI at /api/v1/docs/ (its start-up script at /api/v1/docs/?script)."""


class RedocView(ContentSecurityPolicyMixin, SpectacularRedocView):
    """ReDoc at /api/v1/redoc/, without the web fonts drf-spectacular's page fetches."""

    template_name = "api_docs/redoc.html"

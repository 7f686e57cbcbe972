"""Prometheus metrics at /metrics (django-prometheus), when METRICS_ENABLED is on.

The page is protected by what the settings configure, each one required when set: a bearer
token (METRICS_TOKEN, compared in constant time) and a list of client addresses or networks
(METRICS_ALLOWED_IPS, matched against REMOTE_ADDR: the scraper's own address, so list the
scraper's, never a proxy's). Settings refuse to turn metrics on with neither.
"""

import hmac
import ipaddress

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import JsonResponse
from django.views.decorators.http import require_GET

METRICS_UNPROTECTED = (
    "METRICS_ENABLED=1 needs METRICS_TOKEN (a bearer token) or METRICS_ALLOWED_IPS (addresses "
    "or networks of the scrapers), or both."
)
METRICS_SHORT_TOKEN = "METRICS_TOKEN must be at least {length} characters long."
METRICS_BAD_NETWORK = "METRICS_ALLOWED_IPS: {value!r} is not an IP address or network."
METRICS_TOKEN_MIN_LENGTH = 16


def metrics_networks(values: list[str]) -> list:
    """Parse METRICS_ALLOWED_IPS; refuse to start on a value that is no address or network."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(METRICS_BAD_NETWORK.format(value=value)) from None
    return networks


def metrics_settings_check(*, token: str, allowed_ips: list[str]) -> None:
    """Refuse metrics without protection, with a short token or with an unreadable network."""
    if not token and not allowed_ips:
        raise ImproperlyConfigured(METRICS_UNPROTECTED)
    if token and len(token) < METRICS_TOKEN_MIN_LENGTH:
        raise ImproperlyConfigured(METRICS_SHORT_TOKEN.format(length=METRICS_TOKEN_MIN_LENGTH))
    metrics_networks(allowed_ips)


def _token_ok(request) -> bool:
    scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        sent.strip().encode(), settings.METRICS_TOKEN.encode()
    )


def _address_ok(request) -> bool:
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in network for network in metrics_networks(settings.METRICS_ALLOWED_IPS))


@require_GET
def metrics(request):
    """The Prometheus text page, for a scraper the settings allow; 401/403 for anyone else."""
    from django_prometheus.exports import ExportToDjangoView  # prometheus_client: metrics on only

    if settings.METRICS_ALLOWED_IPS and not _address_ok(request):
        return JsonResponse({"detail": "Not allowed from this address."}, status=403)
    if settings.METRICS_TOKEN and not _token_ok(request):
        response = JsonResponse({"detail": "A valid bearer token is required."}, status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return ExportToDjangoView(request)

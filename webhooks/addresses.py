"""Where a webhook may go: http(s) URLs whose host resolves to public addresses only (SSRF).

A subscription's URL is checked when it is saved and again before every attempt, since DNS may
change in between; the attempt then connects to the very address that was checked (no second
lookup a rebinding DNS server could answer differently). WEBHOOK_ALLOW_PRIVATE_ADDRESSES=1
lifts the address rule for receivers on this machine or the private network.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext_lazy as _

SCHEMES = {"http": 80, "https": 443}
BAD_SCHEME = _("Only http and https URLs can receive webhooks.")
NO_HOST = _("The URL needs a host name.")
CREDENTIALS = _("Put no user name or password in the URL; verify the signature instead.")
BAD_PORT = _("The URL's port is not a valid port number.")
UNRESOLVED = _("The URL's host name could not be resolved.")
NOT_PUBLIC = _(
    "Webhooks go to public addresses only: this URL's host is a {kind} address."
    " (The server's administrator can allow private addresses.)"
)


class UnsafeURL(ValueError):
    """A URL no webhook may be sent to; the message says why."""


@dataclass(frozen=True)
class Target:
    """A checked URL, pinned to the address that was checked."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


def url_target(url: str) -> Target:
    """Check the URL and resolve its host; return the Target to connect to or raise UnsafeURL."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise UnsafeURL(BAD_SCHEME)
    if parts.username is not None or parts.password is not None:
        raise UnsafeURL(CREDENTIALS)
    try:
        port = parts.port or SCHEMES[scheme]
    except ValueError:
        raise UnsafeURL(BAD_PORT) from None
    host = parts.hostname
    if not host:
        raise UnsafeURL(NO_HOST)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme, host, port, path, _address_checked(host, port))


def _address_checked(host: str, port: int) -> str:
    """Resolve the host; refuse it when any of its addresses is not public."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise UnsafeURL(UNRESOLVED) from None
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise UnsafeURL(UNRESOLVED)
    if not settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        for address in addresses:
            kind = address_kind(address)
            if kind is not None:
                raise UnsafeURL(NOT_PUBLIC.format(kind=kind))
    return addresses[0]


def address_kind(address: str) -> str | None:
    """Name what keeps the address from being public (loopback, private, ...), or None."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    checks = (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
        # Carrier-grade NAT, benchmarking, documentation and other special ranges.
        ("non-public", not ip.is_global),
    )
    return next((kind for kind, matches in checks if matches), None)

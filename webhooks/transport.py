"""One bounded HTTP POST to a checked Target: no redirects, capped reads, a hard deadline.

http.client never follows redirects, so a 3xx is just an answer (and not a success). The
connection goes to the address the SSRF check approved (Target.address) while Host and TLS
(SNI, certificate) use the URL's host name. Connecting may take WEBHOOK_CONNECT_TIMEOUT, each
read WEBHOOK_READ_TIMEOUT, and a timer closes the socket when both together are spent, so a
receiver that trickles its answer byte by byte cannot hold a worker longer.
"""

import contextlib
import http.client
import socket
import ssl
import threading
import time
from dataclasses import dataclass

from webhooks.addresses import Target
from webhooks.models import EXCERPT_MAX_BYTES

TIMEOUT = "Timed out after {seconds:.1f} s."
CONNECTION_FAILED = "Connection failed: {reason}"
BAD_ANSWER = "The answer was not valid HTTP: {reason}"
USER_AGENT = "Patron-Webhooks/1.0"


@dataclass(frozen=True)
class Outcome:
    """What one POST came to: an HTTP status (with the answer's first bytes) or an error."""

    status_code: int | None
    error: str
    latency_ms: int
    excerpt: str

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, connect_timeout: float, read_timeout: float):
        super().__init__(target.host, target.port, timeout=connect_timeout)
        self.address, self.read_timeout = target.address, read_timeout

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.settimeout(self.read_timeout)


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    def connect(self):
        super().connect()
        context = ssl.create_default_context()
        self.sock = context.wrap_socket(self.sock, server_hostname=self.host)


def http_post(
    target: Target,
    *,
    body: bytes,
    headers: dict[str, str],
    connect_timeout: float,
    read_timeout: float,
) -> Outcome:
    """POST the body to the target once and return the Outcome (never raises for the network)."""
    kind = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = kind(target, connect_timeout, read_timeout)
    expired = threading.Event()
    deadline = threading.Timer(connect_timeout + read_timeout, _abort, [connection, expired])
    started = time.monotonic()
    deadline.start()
    status, excerpt = None, b""
    try:
        connection.request("POST", target.path, body=body, headers=_headers(headers))
        response = connection.getresponse()
        excerpt = response.read(EXCERPT_MAX_BYTES)
        status, error = response.status, ""
    except TimeoutError:
        error = TIMEOUT.format(seconds=time.monotonic() - started)
    except OSError as exception:
        error = CONNECTION_FAILED.format(reason=_reason(exception))
    except (http.client.HTTPException, ValueError) as exception:
        error = BAD_ANSWER.format(reason=_reason(exception))
    finally:
        deadline.cancel()
        connection.close()
    elapsed = time.monotonic() - started
    if expired.is_set():
        status, excerpt, error = None, b"", TIMEOUT.format(seconds=elapsed)
    return Outcome(status, error, round(elapsed * 1000), excerpt.decode("utf-8", "replace"))


def _headers(headers: dict[str, str]) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Connection": "close",
        **headers,
    }


def _abort(connection: http.client.HTTPConnection, expired: threading.Event) -> None:
    """Shut the socket down: a blocked read returns at once (close alone may not wake it)."""
    expired.set()
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _reason(exception: BaseException) -> str:
    text = str(exception) or type(exception).__name__
    return text[:200]

"""E-mail backends: the console backend without the secrets e-mails carry.

Invitations hold a set-password link whose token lets anyone set the customer's password. On
the console (the default EMAIL_URL, and `make run`) a message lands in the server's log, which
is read by more people than the customer's mailbox: there its links lose their query string
and fragment, and token-like words are replaced.
"""

import copy
import re

from django.core.mail.backends.console import EmailBackend as ConsoleEmailBackend

REDACTED = "[redacted]"
# A URL's query string or fragment (where set-password tokens, uid and signatures ride).
_URL_SECRET = re.compile(r"(?P<url>https?://[^\s?#\"'<>]*)[?#][^\s\"'<>]*", re.IGNORECASE)
# A bare token: a long run of URL-safe characters with digits in it (words and e-mail
# addresses are left alone).
_TOKEN = re.compile(r"\b(?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_:-]{20,}\b")


def secrets_redact(text: str) -> str:
    """Return the text with URL query strings, fragments and token-like words replaced."""
    text = _URL_SECRET.sub(lambda match: f"{match['url']}?{REDACTED}", text)
    return _TOKEN.sub(REDACTED, text)


class RedactingConsoleEmailBackend(ConsoleEmailBackend):
    """Django's console backend, writing each message with its secrets redacted."""

    def write_message(self, message):
        shown = copy.copy(message)
        shown.subject = secrets_redact(str(message.subject))
        if isinstance(message.body, str):
            shown.body = secrets_redact(message.body)
        alternatives = getattr(message, "alternatives", None)
        if alternatives:
            shown.alternatives = [
                (secrets_redact(content) if isinstance(content, str) else content, mimetype)
                for content, mimetype in alternatives
            ]
        shown.attachments = []  # never printed in full: files may hold anything
        return super().write_message(shown)

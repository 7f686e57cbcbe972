"""Customer e-mails: the invitation with a set-password link whose token expires, written in
the customer's language (else the channel's)."""

from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from config.localization import language_supported
from customers.models import Customer

INVITE_SUBJECT_TEMPLATE = "customers/invite_subject.txt"
INVITE_BODY_TEMPLATE = "customers/invite_body.txt"


class CustomerPasswordTokenGenerator(PasswordResetTokenGenerator):
    """Tokens for a customer's set-password link.

    They expire after PASSWORD_RESET_TIMEOUT and once used: setting a password or signing in
    changes the hashed value.
    """

    key_salt = "customers.emails.CustomerPasswordTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        last_login = "" if user.last_login_at is None else user.last_login_at.isoformat()
        return f"{user.pk}{user.channel_id}{user.email}{user.password}{last_login}{timestamp}"


customer_password_token = CustomerPasswordTokenGenerator()


def customer_language(customer: Customer) -> str:
    """The language of the customer's e-mails: its own, else its channel's."""
    return language_supported(customer.language or customer.channel.language)


def customer_password_set_url(customer: Customer) -> str:
    """Return the storefront's set-password link for the customer, with a fresh token: the
    channel's set_password_url with its placeholders filled in, else PASSWORD_SET_URL with
    channel, uid and token as query parameters."""
    values = {
        "channel": customer.channel.code,
        "uid": urlsafe_base64_encode(force_bytes(customer.pk)),
        "token": customer_password_token.make_token(customer),
    }
    template = customer.channel.set_password_url
    if template:
        values["language"] = customer_language(customer)
        return template.format(**{name: quote(value, safe="") for name, value in values.items()})
    separator = "&" if "?" in settings.PASSWORD_SET_URL else "?"
    return f"{settings.PASSWORD_SET_URL}{separator}{urlencode(values)}"


def customer_invite_email_send(customer: Customer) -> int:
    """Send the invitation e-mail with a set-password link, subject and body in the
    customer's language; return the number sent."""
    context = {
        "customer": customer,
        "channel": customer.channel,
        "url": customer_password_set_url(customer),
        "timeout_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
    }
    with translation.override(customer_language(customer)):
        subject = " ".join(render_to_string(INVITE_SUBJECT_TEMPLATE, context).split())
        body = render_to_string(INVITE_BODY_TEMPLATE, context)
    return send_mail(subject, body, None, [customer.email])

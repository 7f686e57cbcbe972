"""The e-mail staff get when a failing subscription is disabled."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail

from webhooks.models import Subscription

DISABLED_SUBJECT = "Webhook subscription {id} disabled after failing for {days} days"
DISABLED_BODY = """The webhook subscription {id} ({url}) has failed every delivery since {since}
and was disabled at {disabled_at}. No more events are sent to it.

Last error: {reason}

Fix the receiver, then enable the subscription again (API: PATCH /api/v1/webhooks/{id}/
{{"is_active": true}}, or the admin) and redeliver the events it missed.
"""


def staff_recipients() -> list[str]:
    """Return the addresses of active staff users that have one, and those in settings.ADMINS."""
    staff = get_user_model().objects.filter(is_staff=True, is_active=True).exclude(email="")
    emails = list(staff.order_by("pk").values_list("email", flat=True))
    emails += [email for _name, email in settings.ADMINS]
    return list(dict.fromkeys(emails))


def subscription_disabled_send(*, subscription: Subscription) -> int:
    """Tell staff that the subscription was disabled; return how many messages were sent."""
    recipients = staff_recipients()
    if not recipients:
        return 0
    days = round(settings.WEBHOOK_DISABLE_AFTER / 86400, 1)
    fields = {
        "id": subscription.pk,
        "url": subscription.url,
        "since": subscription.failing_since,
        "disabled_at": subscription.disabled_at,
        "reason": subscription.disabled_reason,
        "days": f"{days:g}",
    }
    return send_mail(
        DISABLED_SUBJECT.format(**fields),
        DISABLED_BODY.format(**fields),
        None,
        recipients,
    )

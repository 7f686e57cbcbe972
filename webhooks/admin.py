from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from config.admin import ServiceDeletesMixin, ZonedTimesAdminMixin
from config.forms import JSON_FORMFIELD_OVERRIDES
from webhooks.models import Delivery, DeliveryAttempt, Subscription
from webhooks.services import (
    delivery_redeliver,
    event_types_validate,
    subscription_create,
    subscription_delete,
    subscription_secret_rotate,
    subscription_update,
    url_validate,
)

SECRET_ONCE = _("Signing secret of {url}: {secret} (shown this once: keep it now).")
REDELIVERED = _("{count} deliveries sent again: {succeeded} succeeded.")
SKIPPED_DISABLED = _("{count} deliveries of disabled subscriptions were not sent.")
NOT_A_LIST = _("Enter a JSON list.")


class SubscriptionForm(forms.ModelForm):
    class Meta:
        model = Subscription
        fields = ["url", "description", "event_types", "channels", "is_active"]
        help_texts = {
            "event_types": _('A JSON list: ["customer.updated"], ["customer.*"] or ["*"].'),
            "channels": _("None: every channel."),
        }

    def clean_url(self):
        return _checked(url_validate, self.cleaned_data["url"], "url")

    def clean_event_types(self):
        return _checked(event_types_validate, self.cleaned_data["event_types"], "event_types")


def _checked(check, value, field: str):
    """Run the service's check; its message becomes the form field's error."""
    if not isinstance(value, list) and field == "event_types":
        raise ValidationError(NOT_A_LIST)
    try:
        return check(value)
    except ValidationError as error:
        raise ValidationError(error.message_dict[field]) from None


@admin.register(Subscription)
class SubscriptionAdmin(ZonedTimesAdminMixin, ServiceDeletesMixin, admin.ModelAdmin):
    """Subscriptions; the secret is shown once, in a message after creation or rotation."""

    form = SubscriptionForm
    formfield_overrides = JSON_FORMFIELD_OVERRIDES
    list_display = ["id", "url", "is_active", "failing_since", "disabled_at", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "description"]
    filter_horizontal = ["channels"]
    readonly_fields = [
        "secret_hint",
        "failing_since",
        "disabled_at",
        "disabled_reason",
        "created_by",
        "created_at",
        "updated_at",
    ]
    actions = ["secret_rotate"]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            subscription_update(subscription=obj, data=data)
            return
        subscription = subscription_create(data=data, user=request.user)
        obj.pk, obj.secret = subscription.pk, subscription.secret
        self.message_user(request, SECRET_ONCE.format(url=obj.url, secret=obj.secret))

    def object_delete(self, obj) -> None:
        subscription_delete(subscription=obj)

    @admin.action(description=_("Rotate the signing secret"), permissions=["change"])
    def secret_rotate(self, request, queryset):
        for subscription in queryset:
            subscription = subscription_secret_rotate(subscription=subscription)
            message = SECRET_ONCE.format(url=subscription.url, secret=subscription.secret)
            self.message_user(request, message, messages.WARNING)


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    fields = [
        "started_at",
        "status_code",
        "error",
        "succeeded",
        "latency_ms",
        "response_excerpt",
        "request_headers",
        "manual",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(ZonedTimesAdminMixin, admin.ModelAdmin):
    """Deliveries with their attempt log, read-only; "Redeliver" sends selected ones again."""

    list_display = [
        "id",
        "subscription",
        "event_type",
        "event_id",
        "status",
        "attempts",
        "next_attempt_at",
        "created_at",
    ]
    list_filter = ["status"]
    search_fields = ["=event_id", "event_type", "subscription__url"]
    list_select_related = ["subscription"]
    readonly_fields = [
        "subscription",
        "event_id",
        "event_type",
        "payload",
        "status",
        "attempts",
        "next_attempt_at",
        "created_at",
        "updated_at",
    ]
    inlines = [DeliveryAttemptInline]
    actions = ["redeliver"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # The change page is the read-only log (actions on the changelist need view only).
        return False

    def has_redeliver_permission(self, request) -> bool:
        return request.user.has_perm("webhooks.change_delivery")

    @admin.action(description=_("Redeliver now"), permissions=["redeliver"])
    def redeliver(self, request, queryset):
        sent = succeeded = skipped = 0
        for delivery in queryset.select_related("subscription"):
            if not delivery.subscription.is_active:
                skipped += 1
                continue
            attempt = delivery_redeliver(delivery=delivery)
            sent, succeeded = sent + 1, succeeded + attempt.succeeded
        self.message_user(request, REDELIVERED.format(count=sent, succeeded=succeeded))
        if skipped:
            self.message_user(request, SKIPPED_DISABLED.format(count=skipped), messages.WARNING)

"""API keys in the admin: created through the service, the key shown on one page only."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from accounts.models import ApiKey
from accounts.services import api_key_create, api_key_validate
from config.admin import ZonedTimesAdminMixin


class ApiKeyAddForm(forms.ModelForm):
    expires_in_days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=36_500,
        label=_("expires in days"),
        help_text=_("Leave empty for the default lifetime (API_KEY_EXPIRY_DAYS)."),
    )

    class Meta:
        model = ApiKey
        fields = ["user", "name"]
        labels = {"user": _("user")}

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            cleaned["name"] = api_key_validate(
                user=cleaned["user"],
                name=cleaned["name"],
                expires_in_days=cleaned.get("expires_in_days"),
            )
        except ValidationError as error:
            self.add_error(None, error)
        return cleaned

    def _post_clean(self):
        """The service writes the row (and makes its digest); nothing to check on the model."""


@admin.register(ApiKey)
class ApiKeyAdmin(ZonedTimesAdminMixin, admin.ModelAdmin):
    list_display = ["name", "user", "token_key", "created", "expiry", "last_used_at"]
    list_select_related = ["user"]
    list_filter = ["expiry"]
    search_fields = ["name", "token_key", "user__username"]
    raw_id_fields = ["user"]
    readonly_fields = ["name", "user", "token_key", "created", "expiry", "last_used_at"]
    fields = readonly_fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApiKeyAddForm
            kwargs["fields"] = ["user", "name", "expires_in_days"]
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return self.fields if obj else ["user", "name", "expires_in_days"]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else []

    def has_change_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        api_key, key = api_key_create(
            user=form.cleaned_data["user"],
            name=form.cleaned_data["name"],
            expires_in_days=form.cleaned_data.get("expires_in_days"),
        )
        for field in ApiKey._meta.concrete_fields:  # the admin logs and answers with obj
            setattr(obj, field.attname, getattr(api_key, field.attname))
        obj._state.adding = False
        request._api_key_shown_once = key

    def save_related(self, request, form, formsets, change):
        """An API key has no related rows."""

    def response_add(self, request, obj, post_url_continue=None):
        """Show the new key once, on its own page (never in a message: those travel in a
        cookie)."""
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "api_key": obj,
            "key": request._api_key_shown_once,
            "title": _("API key created"),
        }
        response = TemplateResponse(request, "admin/accounts/apikey/created.html", context)
        response["Cache-Control"] = "no-store"
        return response

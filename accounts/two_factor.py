"""Two-factor sign-in for staff (django-otp, TOTP): the pages and the rule that enforces it.

With STAFF_REQUIRE_2FA on, a password alone opens no admin page: a signed-in user whose
session is not verified with a code is sent to set up an authenticator app (first time) or
to enter a code, and on any other path is treated as signed out (the API's session
authentication then answers 401/403).
"""

import base64

import segno
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponseRedirect
from django.shortcuts import resolve_url
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django_otp import login as otp_login
from django_otp import match_token, user_has_device

from accounts.services import totp_device_confirm, totp_device_start

WRONG_CODE = _("This code is wrong or was used already. Enter the current code of your app.")
# Paths an unverified user may still reach: sign-in and sign-out, the 2FA pages, assets.
OPEN_PATHS = ("/admin/login/", "/admin/logout/", "/admin/2fa/", "/static/", "/healthz")


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=8,
        min_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        if not code.isdigit():
            raise forms.ValidationError(WRONG_CODE)
        return code


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return resolve_url("admin:index")


def _page(request, template: str, **context):
    context = {**admin.site.each_context(request), "next": _next_url(request), **context}
    response = TemplateResponse(request, template, context)
    response["Cache-Control"] = "no-store"
    return response


def verify_view(request):
    """Ask a signed-in user with an authenticator app for its current code."""
    if not request.user.is_authenticated:
        return HttpResponseRedirect(reverse("admin:login"))
    if not user_has_device(request.user):
        return HttpResponseRedirect(reverse("two_factor_setup"))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            return HttpResponseRedirect(_next_url(request))
        form.add_error("code", WRONG_CODE)
    return _page(request, "admin/two_factor/verify.html", form=form, title=_("Enter your code"))


def setup_view(request):
    """Show a new authenticator secret as a QR code; confirm it with the app's first code."""
    if not request.user.is_authenticated:
        return HttpResponseRedirect(reverse("admin:login"))
    if user_has_device(request.user):
        return HttpResponseRedirect(reverse("two_factor_verify"))
    device = totp_device_start(user=request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if totp_device_confirm(device=device, token=form.cleaned_data["code"]):
            otp_login(request, device)
            return HttpResponseRedirect(_next_url(request))
        form.add_error("code", WRONG_CODE)
    qr = segno.make(device.config_url, error="m")
    return _page(
        request,
        "admin/two_factor/setup.html",
        form=form,
        qr_svg=qr.svg_inline(scale=4),
        secret=_base32(device.bin_key),
        title=_("Set up two-factor sign-in"),
    )


def _base32(key: bytes) -> str:
    return base64.b32encode(key).decode().rstrip("=")


class StaffTwoFactorMiddleware:
    """Enforce STAFF_REQUIRE_2FA on sessions (after django-otp's OTPMiddleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            settings.STAFF_REQUIRE_2FA
            and user is not None
            and user.is_authenticated
            and not user.is_verified()
            and not request.path.startswith(OPEN_PATHS)
        ):
            if request.path.startswith("/admin/"):
                page = "two_factor_verify" if user_has_device(user) else "two_factor_setup"
                return HttpResponseRedirect(f"{reverse(page)}?next={request.path}")
            request.user = AnonymousUser()
        return self.get_response(request)

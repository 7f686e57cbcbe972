"""The admin's "Possible duplicates" page and the dismissed pairs.

The page lists the same candidate pairs as `GET /api/v1/duplicates/` (duplicates.selectors),
best first, in the channels the staff user may see; its Dismiss button and the dismissals'
delete go through duplicates.services. "Merge…" links to the customers' merge screen where
that exists (`admin:customers_customer_merge`).
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext_lazy as _

from config.admin import ZonedTimesAdminMixin
from customers.selectors import channel_list, channel_scope, customer_list
from duplicates.models import DuplicateDismissal
from duplicates.selectors import (
    SAME_EMAIL,
    SAME_IDENTIFICATION,
    SAME_PHONE,
    SIMILAR_NAME_SAME_ADDRESS,
    duplicate_pair_customers,
    duplicate_pairs_page,
)
from duplicates.services import duplicate_dismiss, duplicate_dismissal_delete

PAGE_SIZE = 50
TEMPLATE = "admin/duplicates/candidates.html"
DISMISSED = _("Dismissed: {a} and {b} are not the same person.")
# The reasons as staff read them (the API answers the codes).
REASON_LABELS = {
    SAME_EMAIL: _("same e-mail"),
    SAME_PHONE: _("same phone"),
    SAME_IDENTIFICATION: _("same identification"),
    SIMILAR_NAME_SAME_ADDRESS: _("similar name at the same address"),
}


def _merge_url(keep: int, merge: int) -> str | None:
    try:
        return f"{reverse('admin:customers_customer_merge')}?keep={keep}&merge={merge}"
    except NoReverseMatch:  # no merge screen on this installation
        return None


@admin.register(DuplicateDismissal)
class DuplicateDismissalAdmin(ZonedTimesAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "customer_low", "customer_high", "dismissed_by", "created_at"]
    list_select_related = ["customer_low", "customer_high", "dismissed_by"]
    raw_id_fields = ["customer_low", "customer_high"]
    change_list_template = "admin/duplicates/dismissal_change_list.html"

    def get_queryset(self, request):
        return channel_scope(
            super().get_queryset(request), user=request.user, channel_field="customer_low__channel"
        )

    # Dismissals are about customers: the customers' permissions govern them (as in the API).
    def has_module_permission(self, request):
        return request.user.has_perm("customers.view_customer")

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("customers.view_customer")

    def has_delete_permission(self, request, obj=None):
        return request.user.has_perm("customers.change_customer")

    def has_add_permission(self, request):
        return False  # pairs are dismissed from the candidates page

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        duplicate_dismissal_delete(dismissal=obj)

    def delete_queryset(self, request, queryset):
        for dismissal in queryset:
            duplicate_dismissal_delete(dismissal=dismissal)

    def get_urls(self):
        view = self.admin_site.admin_view(self.candidates_view)
        return [
            path("candidates/", view, name="duplicates_duplicatedismissal_candidates"),
            *super().get_urls(),
        ]

    def candidates_view(self, request):
        """Candidate pairs, best first; POST dismisses one."""
        if not request.user.has_perm("customers.view_customer"):
            raise PermissionDenied
        if request.method == "POST":
            return self._dismiss(request)
        try:
            page = max(1, int(request.GET.get("p", 1)))
        except ValueError:
            page = 1
        customer, customer_id = None, request.GET.get("customer")
        if customer_id is not None:
            if not customer_id.isdigit():
                raise Http404
            customer = get_object_or_404(customer_list(user=request.user), pk=customer_id)
        channel = request.GET.get("channel") or None
        pairs, total = duplicate_pairs_page(
            user=request.user,
            offset=(page - 1) * PAGE_SIZE,
            limit=PAGE_SIZE,
            channel=channel,
            customer=customer,
        )
        customers = duplicate_pair_customers(pairs)
        rows = [
            {
                "pair": pair,
                "customers": [customers[pk] for pk in pair.customer_ids],
                "reasons": [REASON_LABELS.get(reason, reason) for reason in pair.reasons],
                "merge_url": _merge_url(*pair.customer_ids),
            }
            for pair in pairs
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Possible duplicates"),
            "rows": rows,
            "total": total or 0,
            "page": page,
            "has_next": total is not None and page * PAGE_SIZE < total,
            "customer": customer,
            "channel": channel,
            "channels": channel_list(user=request.user),
            "may_dismiss": request.user.has_perm("customers.change_customer"),
        }
        return TemplateResponse(request, TEMPLATE, context)

    def _dismiss(self, request):
        if not request.user.has_perm("customers.change_customer"):
            raise PermissionDenied
        found = customer_list(user=request.user).in_bulk(
            [value for value in request.POST.getlist("customers") if value.isdigit()]
        )
        if len(found) != 2:
            raise PermissionDenied
        first, second = found.values()
        try:
            duplicate_dismiss(customers=(first, second), user=request.user)
        except ValidationError as error:
            self.message_user(request, "; ".join(error.messages), messages.ERROR)
        else:
            self.message_user(request, DISMISSED.format(a=first.email, b=second.email))
        return HttpResponseRedirect(request.get_full_path())

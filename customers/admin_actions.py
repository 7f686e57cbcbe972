"""Bulk actions on the customer changelist; each one calls the API's services per customer.

The export and the invitation run as background jobs (jobs app) on the selected customers:
the action answers at once with the job's page, whatever the selection's size.

The customer page's buttons (invite, anonymize) call the same services for its one customer.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from customers.models import Channel, Customer
from customers.services import customer_anonymize, customer_invite_send, customers_status_set
from groups.models import UserCustomerGroup, UserGroup
from groups.services import membership_create, membership_delete
from jobs.models import JobKind
from jobs.services import job_start

CONFIRM_TEMPLATE = "admin/customers/customer/action_confirm.html"
ANONYMIZE_CONFIRM_TEMPLATE = "admin/customers/customer/anonymize_confirm.html"
ANONYMIZE_WARNING = _(
    "Their names, e-mails, phones, notes and addresses are erased for good; "
    "orders and statistics stay. This cannot be undone."
)
ACTIVATE = _("Activate selected customers")
ACTIVATED = _("{count} customer(s) activated.")
DEACTIVATE = _("Deactivate selected customers")
DEACTIVATED = _("{count} customer(s) deactivated.")
FREEZE = _("Freeze selected customers")
FROZEN = _("{count} customer(s) frozen.")
GROUP_ADDED = _("{count} customer(s) in {group}.")
GROUP_REMOVED = _("{count} customer(s) removed from {group}.")
JOB_STARTED = _("{what} of {count} customer(s) runs as {job}.")
THE_INVITATION = _("The invitation")
THE_EXPORT = _("The export")
ANONYMIZED = _("{count} customer(s) anonymized.")
INVITATION_SENT = _("An invitation is on its way to {email}.")
CUSTOMER_ANONYMIZED = _("The customer was anonymized.")
ANONYMIZE_ONE = _("Anonymize {email}?")
# Confirmation pages name this many customers, then "and N more".
LISTED = 20


class GroupChoiceForm(forms.Form):
    group = forms.ModelChoiceField(queryset=UserGroup.objects.order_by("code"), label=_("group"))


def _confirm_page(modeladmin, request, queryset, *, title, form=None, warning=""):
    opts = modeladmin.model._meta
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "opts": opts,
        "app_label": opts.app_label,
        "form": form,
        "warning": warning,
        "action": request.POST.get("action", ""),
        "select_across": request.POST.get("select_across", "0"),
        "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        "customers": list(queryset.order_by("-id")[:LISTED]),
        "count": queryset.count(),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, CONFIRM_TEMPLATE, context)


def _each(modeladmin, request, queryset, change, done, **values) -> None:
    """Apply change(customer) to every customer; report the count and any refused rows."""
    changed, failures = 0, {}
    for customer in queryset.select_related("channel").order_by("id").iterator(chunk_size=500):
        try:
            change(customer)
        except ValidationError as error:
            failures[customer.email] = error.messages
        else:
            changed += 1
    text = done.format(count=changed, **values)
    modeladmin.message_user(request, text, messages.SUCCESS)
    modeladmin.message_user_errors(request, failures)


def _status_action(status: str, verb: str, description, done):
    @admin.action(description=description, permissions=["change"])
    def action(modeladmin, request, queryset):
        changed = customers_status_set(customers=queryset, status=status, user_id=request.user.pk)
        modeladmin.message_user(request, done.format(count=changed), messages.SUCCESS)

    action.__name__ = f"customers_{verb}"
    return action


customers_activate = _status_action(Customer.Status.ACTIVE, "activate", ACTIVATE, ACTIVATED)
customers_deactivate = _status_action(
    Customer.Status.INACTIVE, "deactivate", DEACTIVATE, DEACTIVATED
)
customers_freeze = _status_action(Customer.Status.FROZEN, "freeze", FREEZE, FROZEN)


def _group_chosen(modeladmin, request, queryset, *, title: str):
    """The group picked on the confirmation page, or (None, the page) until one is picked."""
    form = GroupChoiceForm(request.POST if "apply" in request.POST else None)
    if not form.is_valid():
        return None, _confirm_page(modeladmin, request, queryset, title=title, form=form)
    return form.cleaned_data["group"], None


@admin.action(description=_("Add selected customers to a group"), permissions=["change"])
def customers_group_add(modeladmin, request, queryset):
    group, page = _group_chosen(modeladmin, request, queryset, title=_("Add to group"))
    if group is None:
        return page
    members = set(
        UserCustomerGroup.objects.filter(group=group, customer__in=queryset).values_list(
            "customer_id", flat=True
        )
    )

    def change(customer):
        if customer.pk not in members:
            membership_create(customer=customer, group_code=group.code)

    _each(modeladmin, request, queryset, change, GROUP_ADDED, group=group.code)
    return None


@admin.action(description=_("Remove selected customers from a group"), permissions=["change"])
def customers_group_remove(modeladmin, request, queryset):
    group, page = _group_chosen(modeladmin, request, queryset, title=_("Remove from group"))
    if group is None:
        return page
    memberships = UserCustomerGroup.objects.filter(group=group, customer__in=queryset)
    removed = 0
    for membership in memberships.select_related("group").order_by("id"):
        membership_delete(membership=membership)
        removed += 1
    modeladmin.message_user(request, GROUP_REMOVED.format(count=removed, group=group.code))
    return None


def _job_started(modeladmin, request, queryset, kind: JobKind, params: dict, what):
    """Start a job over the selected customers and send staff to its page."""
    ids = list(queryset.order_by("id").values_list("pk", flat=True))
    channels = list(queryset.order_by().values_list("channel_id", flat=True).distinct()[:2])
    channel = Channel.objects.get(pk=channels[0]) if len(channels) == 1 else None
    job = job_start(kind=kind, user=request.user, params=params, ids=ids, channel=channel)
    text = JOB_STARTED.format(what=what, count=len(ids), job=job)
    modeladmin.message_user(request, text, messages.SUCCESS)
    return HttpResponseRedirect(reverse("admin:jobs_job_change", args=[job.pk]))


@admin.action(description=_("Send an invitation to selected customers"), permissions=["change"])
def customers_invite_send(modeladmin, request, queryset):
    return _job_started(modeladmin, request, queryset, JobKind.INVITATION, {}, THE_INVITATION)


@admin.action(description=_("Anonymize selected customers"), permissions=["change"])
def customers_anonymize(modeladmin, request, queryset):
    if "apply" not in request.POST:
        return _confirm_page(
            modeladmin, request, queryset, title=_("Anonymize customers"), warning=ANONYMIZE_WARNING
        )
    _each(
        modeladmin,
        request,
        queryset,
        lambda customer: customer_anonymize(customer=customer),
        ANONYMIZED,
    )
    return None


@admin.action(description=_("Export selected customers as CSV"), permissions=["view"])
def customers_export_csv(modeladmin, request, queryset):
    return _job_started(
        modeladmin, request, queryset, JobKind.EXPORT, {"format": "csv"}, THE_EXPORT
    )


CUSTOMER_ACTIONS = [
    customers_activate,
    customers_deactivate,
    customers_freeze,
    customers_group_add,
    customers_group_remove,
    customers_invite_send,
    customers_anonymize,
    customers_export_csv,
]


def _button_customer(modeladmin, request, object_id) -> Customer:
    """The customer of a change page's button: POST only, one the user may see and change."""
    if request.method != "POST":
        raise PermissionDenied
    customer = modeladmin.get_object(request, object_id)
    if customer is None:
        raise Http404
    if not modeladmin.has_change_permission(request, customer):
        raise PermissionDenied
    return customer


def _change_page(customer) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("admin:customers_customer_change", args=[customer.pk]))


def customer_invite_view(modeladmin, request, object_id):
    """The customer page's "Send invitation" button: the e-mail the bulk invitation sends."""
    customer = _button_customer(modeladmin, request, object_id)
    customer_invite_send(customer=customer)
    modeladmin.message_user(request, INVITATION_SENT.format(email=customer.email))
    return _change_page(customer)


def customer_anonymize_view(modeladmin, request, object_id):
    """The customer page's "Anonymize" button: a confirmation page, then customer_anonymize."""
    customer = _button_customer(modeladmin, request, object_id)
    if "apply" not in request.POST:
        context = {
            **modeladmin.admin_site.each_context(request),
            "title": ANONYMIZE_ONE.format(email=customer.email),
            "opts": modeladmin.model._meta,
            "customer": customer,
            "warning": ANONYMIZE_WARNING,
        }
        return TemplateResponse(request, ANONYMIZE_CONFIRM_TEMPLATE, context)
    try:
        customer_anonymize(customer=customer)
    except ValidationError as error:
        modeladmin.message_user_errors(request, {customer.email: error.messages})
    else:
        modeladmin.message_user(request, CUSTOMER_ANONYMIZED, messages.SUCCESS)
    return _change_page(customer)

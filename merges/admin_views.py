"""The admin's merge screen: pick the value of each differing field, preview, confirm.

GET ?keep=<id>&merge=<id>[&merge=<id>] (the "possible duplicates" view and the customer page's
"Merge…" button link here). The preview is customer_merge's dry run; confirming runs the
same service with the chosen fields, as the API does.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from customers.admin_scoping import request_channel_scope
from customers.models import Customer
from merges.selectors import merge_list
from merges.services import CHOOSABLE_FIELDS, MergeUndoRefused, customer_merge, merge_undo
from merges.services.merge import CONSENT_FIELDS

TEMPLATE = "admin/customers/customer/merge.html"
MERGE_PERMISSION = "customers.merge_customer"
MERGED = _("Merged {merged} into {kept} (merge {merge}); it can be undone from the Merges page.")
UNDONE = _("Merge {merge} undone.")
KEPT_CHANGES = _("Fields changed since the merge were kept: {names}.")
IDS_INVALID = _("Give customer ids (numbers).")


def _ids(values) -> list[int]:
    ids = []
    for value in values:
        for part in str(value).replace(",", " ").split():
            if not part.isdigit():
                raise ValidationError({"merge": [IDS_INVALID]})
            ids.append(int(part))
    return ids


def _field_label(name: str) -> str:
    """A customer field as staff read it: its verbose name, in their language."""
    return capfirst(Customer._meta.get_field(name).verbose_name)


def _differing(customers: list[Customer]) -> list[dict]:
    """The choosable fields whose values differ, each with one radio per customer."""
    rows = []
    for name in CHOOSABLE_FIELDS:
        values = [getattr(customer, name) for customer in customers]
        if any(value != values[0] for value in values[1:]):
            options = [
                (customer.pk, value) for customer, value in zip(customers, values, strict=True)
            ]
            rows.append({"name": name, "label": _field_label(name), "options": options})
    return rows


def _choices(data, differing: list[dict], *, keep: int, involved: set[int]) -> dict:
    """The radios set to another customer than the kept one: {field name: customer id}."""
    chosen = {}
    for row in differing:
        value = data.get(f"field_{row['name']}", "")
        if value.isdigit() and int(value) in involved and int(value) != keep:
            chosen[row["name"]] = int(value)
    return chosen


def _keep(data) -> int | None:
    keep = data.get("keep", "").strip()
    return int(keep) if keep.isdigit() else None


def customer_merge_view(request):
    """Preview (dry run) and confirm a merge; needs customers.merge_customer."""
    if not request.user.has_perm(MERGE_PERMISSION):
        raise PermissionDenied
    data = request.POST if request.method == "POST" else request.GET
    context = {
        **admin.site.each_context(request),
        "title": _("Merge customers"),
        "opts": Customer._meta,
        "keep": data.get("keep", ""),
        "merge_ids": " ".join(data.getlist("merge")),
    }
    keep = _keep(data)
    try:
        merge = _ids(data.getlist("merge"))
    except ValidationError as error:
        context["errors"] = error.message_dict
        return TemplateResponse(request, TEMPLATE, context)
    if keep is None or not merge:
        return TemplateResponse(request, TEMPLATE, context)
    return _preview_or_merge(request, context, keep=keep, merge=merge, data=data)


def _preview_or_merge(request, context, *, keep: int, merge: list[int], data):
    scoped = request_channel_scope(Customer.objects.filter(pk__in=[keep, *merge]), request)
    visible = {customer.pk: customer for customer in scoped}
    customers = [visible[pk] for pk in [keep, *merge] if pk in visible]
    differing = _differing(customers)
    fields = _choices(data, differing, keep=keep, involved=set(visible))
    confirm = request.method == "POST" and "confirm" in request.POST
    try:
        outcome = customer_merge(
            keep=keep, merge=merge, fields=fields, dry_run=not confirm, user=request.user
        )
    except ValidationError as error:
        context["errors"] = error.message_dict
        return TemplateResponse(request, TEMPLATE, context)
    if confirm:
        text = MERGED.format(merged=", ".join(map(str, merge)), kept=keep, merge=outcome.merge.pk)
        messages.success(request, text)
        return HttpResponseRedirect(reverse("admin:customers_customer_change", args=[keep]))
    result = outcome.customer
    for row in differing:
        row["chosen"] = fields.get(row["name"], keep)
        row["result"] = getattr(result, row["name"])
    context.update(
        customers=customers,
        differing=differing,
        result=result,
        moves=outcome.moves,
        consent=[(_field_label(name), getattr(result, name)) for name in CONSENT_FIELDS],
    )
    return TemplateResponse(request, TEMPLATE, context)


def merge_undo_view(request, pk):
    """Undo a merge (POST from the merge's page); needs customers.merge_customer."""
    if not request.user.has_perm(MERGE_PERMISSION) or request.method != "POST":
        raise PermissionDenied
    merge = merge_list(user=request.user).filter(pk=pk).first()
    if merge is None:
        raise Http404
    try:
        outcome = merge_undo(merge=merge, user=request.user)
    except MergeUndoRefused as refused:
        messages.error(request, refused.message)
    else:
        text = UNDONE.format(merge=merge.pk)
        if outcome.kept_changes:
            text += " " + KEPT_CHANGES.format(names=", ".join(outcome.kept_changes))
        messages.success(request, text)
    return HttpResponseRedirect(reverse("admin:merges_merge_change", args=[merge.pk]))

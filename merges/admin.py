from django.contrib import admin
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from config.admin import ZonedTimesAdminMixin
from customers.admin_scoping import request_channel_scope
from merges.admin_views import MERGE_PERMISSION, merge_undo_view
from merges.models import Merge


@admin.register(Merge)
class MergeAdmin(ZonedTimesAdminMixin, admin.ModelAdmin):
    """The merges, newest first; a merge's page has the Undo button (merges.services)."""

    change_form_template = "admin/merges/merge/change_form.html"
    list_display = [
        "id",
        "kept_link",
        "merged_list",
        "channel",
        "created_at",
        "created_by",
        "undone_at",
    ]
    list_filter = ["channel", ("undone_at", admin.EmptyFieldListFilter)]
    list_select_related = ["channel", "kept", "created_by"]
    fields = [
        "channel",
        "kept_link",
        "merged_list",
        "fields",
        "created_at",
        "created_by",
        "undone_at",
        "undone_by",
        "kept_changes",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return request_channel_scope(super().get_queryset(request), request)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(MERGE_PERMISSION)

    def has_module_permission(self, request):
        return request.user.has_perm(MERGE_PERMISSION)

    @admin.display(description=_("kept customer"))
    def kept_link(self, merge):
        url = reverse("admin:customers_customer_change", args=[merge.kept_id])
        return format_html('<a href="{}">{}</a>', url, merge.kept_id)

    @admin.display(description=_("merged customers"))
    def merged_list(self, merge):
        return format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            (
                (reverse("admin:customers_customer_change", args=[pk]), pk)
                for pk in merge.merged_ids
            ),
        )

    def get_urls(self):
        view = self.admin_site.admin_view(merge_undo_view)
        return [path("<int:pk>/undo/", view, name="merges_merge_undo"), *super().get_urls()]

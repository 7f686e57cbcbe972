from django import forms
from django.contrib import admin
from django.contrib.admin.utils import NestedObjects
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError
from django.db import router
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from config.admin import EstimatedCountPaginator, ServiceDeletesMixin, ZonedTimesAdminMixin
from config.forms import JSON_FORMFIELD_OVERRIDES
from customers.admin_scoping import ChannelScopedAdminMixin
from groups.models import UserCustomerGroup, UserGroup
from groups.selectors import group_list, group_paths
from groups.services import (
    group_create,
    group_delete,
    group_parent_check,
    group_update,
    membership_create,
    membership_delete,
    membership_update,
)


class UserGroupForm(forms.ModelForm):
    class Meta:
        model = UserGroup
        fields = ["code", "title", "description", "visibility", "subscribe_text", "parent"]

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is not None and "parent" in cleaned:
            try:
                group_parent_check(group=self.instance, parent=cleaned["parent"])
            except ValidationError as error:
                self.add_error("parent", error.message_dict["parent"])
        return cleaned


class UserGroupChangeList(ChangeList):
    def get_results(self, request):
        super().get_results(request)
        # One query for the whole page's hierarchy paths instead of one walk per row.
        paths = group_paths(group_ids=[group.pk for group in self.result_list])
        for group in self.result_list:
            group.path = paths.get(group.pk, group.code)


@admin.register(UserGroup)
class UserGroupAdmin(ServiceDeletesMixin, admin.ModelAdmin):
    form = UserGroupForm
    list_display = ["code", "title", "visibility", "parent", "path", "member_count"]
    list_filter = ["visibility", ("parent", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["code", "title"]
    autocomplete_fields = ["parent"]
    list_select_related = ["parent"]
    readonly_fields = ["created_at", "updated_at"]

    def get_queryset(self, request):
        if request.resolver_match and request.resolver_match.url_name == "autocomplete":
            # A group picker needs no member counts (a subquery per group).
            return UserGroup.objects.all()
        return group_list()

    def get_changelist(self, request, **kwargs):
        return UserGroupChangeList

    @admin.display(description=_("path"))
    def path(self, group):
        return getattr(group, "path", group.code)

    @admin.display(description=_("members"), ordering="member_count")
    def member_count(self, group):
        return group.member_count

    def save_model(self, request, obj, form, change):
        data = dict(form.cleaned_data)
        data["parent"] = data["parent"].code if data.get("parent") else None
        if change:
            # The form already wrote its values on obj; the service re-applies and validates.
            form.instance = group_update(group=obj, data=data)
        else:
            form.instance = group_create(data=data)
        obj.pk = form.instance.pk

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        # group_delete moves children up instead of deleting them, so they protect nothing.
        ids = {group.pk for group in objs}
        collector = NestedObjects(using=router.db_for_write(UserGroup))
        collector.collect(list(objs))
        if all(isinstance(obj, UserGroup) and obj.parent_id in ids for obj in collector.protected):
            protected = []
        return deleted, counts, perms_needed, protected

    def object_delete(self, obj):
        group_delete(group=obj)


@admin.register(UserCustomerGroup)
class UserCustomerGroupAdmin(
    ZonedTimesAdminMixin, ChannelScopedAdminMixin, ServiceDeletesMixin, SimpleHistoryAdmin
):
    channel_field = "customer__channel"
    formfield_overrides = JSON_FORMFIELD_OVERRIDES
    list_display = ["id", "customer", "group", "subscribed", "created_at"]
    list_filter = ["subscribed"]
    list_select_related = ["customer", "group"]
    autocomplete_fields = ["customer", "group"]
    search_fields = ["=group__code", "=customer__email"]
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    ordering = ["-id"]

    def get_readonly_fields(self, request, obj=None):
        # A membership's customer and group never change (membership_update's rule).
        return ["customer", "group"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        values = {"subscribed": obj.subscribed, "attributes": obj.attributes}
        if change:
            form.instance = membership_update(membership=obj, data=values)
        else:
            form.instance = membership_create(
                customer=obj.customer, group_code=obj.group.code, **values
            )
            obj.pk = form.instance.pk

    def object_delete(self, obj):
        membership_delete(membership=obj)


class MembershipInline(admin.TabularInline):
    """Memberships on the customer's change page, each row labelled by its group."""

    model = UserCustomerGroup
    formfield_overrides = JSON_FORMFIELD_OVERRIDES
    fields = ["group", "subscribed", "attributes"]
    autocomplete_fields = ["group"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("group")

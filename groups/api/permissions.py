"""Group API permissions that need the groups app's own reads."""

from django.utils.translation import gettext_lazy as _

from config.rest import ModelPermissions
from groups.selectors import group_has_hidden_members

GROUP_HAS_HIDDEN_MEMBERS = _(
    "This group has members in channels you cannot see; only an unrestricted user may delete it."
)


class GroupPermission(ModelPermissions):
    """Model permissions; a user limited to some channels may not delete a group that other
    channels' customers belong to (deleting it would end their memberships too)."""

    message = GROUP_HAS_HIDDEN_MEMBERS

    def has_object_permission(self, request, view, obj):
        if request.method != "DELETE":
            return True
        return not group_has_hidden_members(group=obj, user=request.user)

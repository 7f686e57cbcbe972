"""Customer API permissions that need the customers app's own reads."""

from django.utils.translation import gettext_lazy as _

from config.rest import ModelPermissions
from customers.selectors import user_is_channel_scoped

SCOPED_CHANNEL_CREATE = _("A user limited to some channels cannot create channels.")


class ChannelPermission(ModelPermissions):
    """Model permissions; a user limited to some channels may not create new ones.

    A channel it created would lie outside its own scope, so it could not even see it.
    """

    message = SCOPED_CHANNEL_CREATE

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        if request.method != "POST":
            return True
        return not user_is_channel_scoped(request.user)

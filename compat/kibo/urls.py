"""URL routes of the kibo dialect."""

urlpatterns = []

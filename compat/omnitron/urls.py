"""URL routes of the omnitron dialect."""

urlpatterns = []

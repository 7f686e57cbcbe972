"""URL routes of the xml dialect."""

urlpatterns = []

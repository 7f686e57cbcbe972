"""URL routes of the nuvemshop dialect."""

urlpatterns = []

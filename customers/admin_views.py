"""The customer import page of the admin."""

from django.http import HttpResponse


def customer_import_view(request):
    return HttpResponse("todo")

"""URL routes of the xml dialect: /compat/xml/{channel}/API/V3/….

`{spec}` is a resource specification: `Customer`, `Customer+UserCustomerGroups` or
`Customer+(UserCustomerGroups+UserGroups)`. Clients send `+`, `(` and `)` literally or
percent-encoded; both reach these routes (the path is matched decoded). Every route answers
with or without a trailing slash; the schema lists the form without.
"""

import re

from django.urls import path, re_path, register_converter

from compat.xml.views import (
    SPECS,
    CustomerDetailView,
    CustomerListView,
    NotFoundView,
    UserGroupListView,
)


class SpecConverter:
    regex = "|".join(re.escape(spec) for spec in sorted(SPECS, key=len, reverse=True))

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(SpecConverter, "xml_spec")


def _routes(route: str, view: type, name: str) -> list:
    """The route, and the same with a trailing slash (left out of the schema)."""
    slashed = type(f"{view.__name__}Slashed", (view,), {"schema": None})
    return [
        path(route, view.as_view(), name=name),
        path(f"{route}/", slashed.as_view(), name=f"{name}-slash"),
    ]


_PREFIX = "<str:channel>/API/V3/"
urlpatterns = [
    *_routes(f"{_PREFIX}UserGroups", UserGroupListView, "xml-usergroups"),
    *_routes(f"{_PREFIX}<xml_spec:spec>", CustomerListView, "xml-customers"),
    *_routes(f"{_PREFIX}<xml_spec:spec>/<str:username>", CustomerDetailView, "xml-customer"),
    # Searched, not matched whole: any path, a newline in it included ("." stops at one).
    re_path(r"", NotFoundView.as_view(), name="xml-not-found"),
]

"""The message for a name Patron does not know, with the closest known name (Stripe's rule).

Integrators moving from another platform send its names (`firstName`, `customerID`,
`created_date__gte`): the answer names what was sent and what was probably meant, so the fix
is one edit. Names are compared ignoring case, `_`, `-` and `.` first, then by similarity.
"""

import difflib
import re
from collections.abc import Collection, Iterable, Mapping

from django.utils.translation import gettext_lazy as _

UNKNOWN_FIELD = _("Unknown field '{name}'.")
UNKNOWN_PARAMETER = _("Unknown query parameter '{name}'.")
DID_YOU_MEAN = _(" Did you mean '{suggestion}'?")
_SEPARATORS = re.compile(r"[\W_]+")


def _folded(name: str) -> str:
    return _SEPARATORS.sub("", name).casefold()


def closest_name(name: str, known: Iterable[str]) -> str | None:
    """The known name `name` most probably meant, or None when none is close."""
    known = sorted(set(known))
    folded = {_folded(candidate): candidate for candidate in known}
    same = folded.get(_folded(name))
    if same is not None:
        return same
    found = difflib.get_close_matches(_folded(name), list(folded), n=1, cutoff=0.6)
    if found:
        return folded[found[0]]
    # A known name inside the unknown one: `customerID` → `id`, `created_date__gte` → ….
    found = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
    if found:
        return found[0]
    # A platform's prefixed name: `customerID` → `id`, `customerPhone` → `phone`.
    endings = [
        candidate
        for key, candidate in folded.items()
        if len(key) > 1 and _folded(name).endswith(key)
    ]
    return max(endings, key=len) if endings else None


def unknown_name_message(name: str, known: Iterable[str], *, parameter: bool = False) -> str:
    """ "Unknown field 'firstName'. Did you mean 'first_name'?" (or a query parameter)."""
    message = (UNKNOWN_PARAMETER if parameter else UNKNOWN_FIELD).format(name=name)
    suggestion = closest_name(name, known)
    return message + (DID_YOU_MEAN.format(suggestion=suggestion) if suggestion else "")


# Read-only in every representation (the optimistic-concurrency token), so always known.
VERSION_FIELD = "version"


def unknown_fields(
    data: Mapping, known: Collection[str], *, suggestions: Collection[str] | None = None
) -> dict[str, list[str]]:
    """{name: [message]} for each key of a body object that is neither in `known` nor
    `version`; empty when every key is known. The closest name is suggested from
    `suggestions` (default: `known`), e.g. Patron's names only where other aliases are known."""
    suggestions = known if suggestions is None else suggestions
    return {
        name: [unknown_name_message(str(name), suggestions)]
        for name in data
        if name not in known and name != VERSION_FIELD
    }

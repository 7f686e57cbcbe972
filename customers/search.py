"""Customer search: a word anywhere in names, e-mail, phone or identification.

On PostgreSQL one trigram GIN index (`customer_search_trgm`, migration 0007) covers the
upper-cased concatenation of those fields, SEARCH_DOCUMENT. One index instead of one per field:
an index entry costs the same per trigram wherever it lives, and one index means one pending
list, one scan per word and a fifth of the per-row overhead for every write and import.
Lookups written as `document icontains word` compile to `UPPER(document) LIKE UPPER('%word%')`,
exactly the indexed expression. SQLite has no such index and scans.
"""

from django.db.models import F, Func, Q, TextField, Value
from django.db.models.lookups import IContains

SEARCH_FIELDS = ("first_name", "last_name", "email", "phone", "identification")
SEARCH_INDEX = "customer_search_trgm"
# A trigram index narrows nothing for words shorter than this.
TRIGRAM_MIN_LENGTH = 3


class _Joined(Func):
    """`a || ' ' || b ...`: the fields are NOT NULL, so no COALESCE (Concat adds one per part),
    and the SQL reads like the index definition in the migration."""

    arg_joiner = " || "
    template = "(%(expressions)s)"
    output_field = TextField()


def _document() -> _Joined:
    parts = []
    for name in SEARCH_FIELDS:
        parts += [F(name), Value(" ")]
    return _Joined(*parts[:-1])


SEARCH_DOCUMENT = _document()


def search_word_q(word: str) -> Q:
    """Customers with the word (any case) inside one of the searched fields."""
    return Q(IContains(SEARCH_DOCUMENT, word))


def search_narrowed(field_match: Q, text: str) -> Q:
    """A lookup on a searched field, plus the index-served search for its text.

    The field's own match decides; the document match only lets the trigram index find the
    candidates (every customer whose field matches has the text in its document).
    """
    text = text.strip()
    if len(text) < TRIGRAM_MIN_LENGTH:
        return field_match
    return field_match & search_word_q(text)

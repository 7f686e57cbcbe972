"""Customer search: a word anywhere in names, e-mail, phone or identification, in any case and
with or without accents ("maria" finds María, "NINGUÉM" finds Ninguém).

Both sides of every comparison are folded by one SQL function, `patron_fold(text)`: upper case
without accents. On PostgreSQL it is an IMMUTABLE wrapper around `unaccent` (migration 0010),
and the folded concatenation of those fields, SEARCH_DOCUMENT, is stored in a generated column,
`search_document` (migration 0019), covered by one trigram GIN index (`customer_search_trgm`).
One index instead of one per field: an index entry costs the same per trigram wherever it
lives, and one index means one pending list, one scan per word and a fifth of the per-row
overhead for every write and import. Stored rather than an expression index: every candidate
the index finds is rechecked against the row, and the stored text is compared as it is, where
the expression was folded again for each row (10,000 candidates for a common word). A search
compiles to `search_document LIKE '%' || patron_fold('word') || '%'`: the planner folds the
constant side. On SQLite, `patron_fold` is a Python function registered on every connection
(fold_register), no column is stored and searches fold as they scan.
"""

import unicodedata

from django.db.models import Expression, F, Func, Q, TextField, Value
from django.db.models.expressions import Col
from django.db.models.lookups import Contains, Exact, StartsWith

SEARCH_FIELDS = ("first_name", "last_name", "email", "phone", "identification")
SEARCH_INDEX = "customer_search_trgm"
# PostgreSQL's stored SEARCH_DOCUMENT (a generated column the model does not declare).
SEARCH_COLUMN = "search_document"
FOLD_FUNCTION = "patron_fold"
# A trigram index narrows nothing for words shorter than this.
TRIGRAM_MIN_LENGTH = 3
# The lookups that compare folded text, by the case-insensitive lookup each stands for.
FOLDED_LOOKUPS = {"exact": Exact, "iexact": Exact, "istartswith": StartsWith, "icontains": Contains}


class Fold(Func):
    """`patron_fold(text)`: the text in upper case without accents, on either database."""

    function = FOLD_FUNCTION
    output_field = TextField()


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


class _SearchDocument(Expression):
    """The folded document: on PostgreSQL the generated column `search_document`, which the
    trigram index covers; elsewhere `patron_fold(...)` of the fields themselves.

    The column is not a model field (no writer, history or event may name it), so it is
    written from the table alias of the fields' own columns, which follows the query's
    aliases (joins, subqueries)."""

    output_field = TextField()

    def __init__(self, folded=None):
        super().__init__()
        self.folded = folded if folded is not None else Fold(_document())

    def get_source_expressions(self):
        return [self.folded]

    def set_source_expressions(self, exprs):
        (self.folded,) = exprs

    def as_sql(self, compiler, connection):
        return compiler.compile(self.folded)

    def as_postgresql(self, compiler, connection):
        column = next(expr for expr in self.folded.flatten() if isinstance(expr, Col))
        quote = compiler.quote_name_unless_alias
        table = f"{quote(column.alias)}." if column.alias is not None else ""
        return f"{table}{quote(SEARCH_COLUMN)}", []


SEARCH_DOCUMENT = _SearchDocument()

# Letters that Unicode does not decompose into a base letter and a mark, spelled the way
# PostgreSQL's unaccent spells them, so both databases fold them alike.
_UNDECOMPOSED = str.maketrans(
    {"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ħ": "h", "Ħ": "H",
     "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ß": "ss", "ı": "i"}
)  # fmt: skip


def fold(text: str | None) -> str | None:
    """Upper case without accents: SQLite's `patron_fold` (PostgreSQL has its own)."""
    if text is None:
        return None
    decomposed = unicodedata.normalize("NFKD", text.translate(_UNDECOMPOSED))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


def fold_register(sender, connection, **kwargs) -> None:
    """Give a new SQLite connection `patron_fold` (a connection_created receiver).

    Deterministic, so SQLite may use it in indexes and the planner may reuse its results.
    """
    if connection.vendor == "sqlite":
        connection.connection.create_function(FOLD_FUNCTION, 1, fold, deterministic=True)


def search_word_q(word: str) -> Q:
    """Customers with the word (any case, any accents) inside one of the searched fields."""
    return Q(Contains(SEARCH_DOCUMENT, Fold(Value(word))))


def folded_field_q(name: str, lookup: str, value: str) -> Q:
    """`name` compared with `value` by the lookup (exact, istartswith, icontains), both folded."""
    return Q(FOLDED_LOOKUPS[lookup](Fold(F(name)), Fold(Value(value))))


def search_narrowed(field_match: Q, text: str) -> Q:
    """A lookup on a searched field, plus the index-served search for its text.

    The field's own match decides; the document match only lets the trigram index find the
    candidates (every customer whose field matches has the text in its folded document).
    """
    text = text.strip()
    if len(text) < TRIGRAM_MIN_LENGTH:
        return field_match
    return field_match & search_word_q(text)

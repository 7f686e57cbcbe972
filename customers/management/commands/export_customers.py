"""manage.py export_customers PATH: stream customers to CSV or NDJSON, re-importable as is.

PATH `-` writes stdout, with nothing else on it (the summary goes to stderr).
"""

from django.core.management.base import BaseCommand, CommandError

from customers.exports import (
    EXPORT_FORMATS,
    ExportFilterInvalid,
    customer_export_queryset,
    customers_export,
)
from customers.imports.readers import format_infer
from customers.management.file_arguments import file_arguments_add

NO_FORMAT = "Cannot tell the format from {path!r}: pass --format csv or ndjson."
UNWRITABLE = "Cannot write {path!r}: {error}"
STDOUT = "-"
EXPORTED = "Exported {count} customers to {path}."


class _TextOut:
    """The command's stdout as a plain text stream: no line end added to each write."""

    def __init__(self, wrapper):
        self.wrapper = wrapper

    def write(self, text: str) -> None:
        self.wrapper.write(text, ending="")


class Command(BaseCommand):
    help = (
        "Write customers (optionally filtered like the API: --filter field__lookup=value) to a "
        "CSV or NDJSON file that import_customers reads back unchanged (PATH -: stdout; then "
        "pass --format)."
    )

    def add_arguments(self, parser):
        file_arguments_add(parser, formats=EXPORT_FORMATS, format_help="Default: the extension.")
        parser.add_argument(
            "--filter",
            action="append",
            default=[],
            dest="filters",
            metavar="FIELD__LOOKUP=VALUE",
            help="An API customer filter; repeat for several (all must match).",
        )

    def handle(self, *args, path, format=None, filters=(), **options):
        fmt = format or (None if path == STDOUT else format_infer(path))
        if fmt not in EXPORT_FORMATS:
            raise CommandError(NO_FORMAT.format(path=path), returncode=2)
        try:
            queryset = customer_export_queryset(list(filters))
        except ExportFilterInvalid as error:
            raise CommandError(str(error), returncode=2) from None
        if path == STDOUT:
            count = customers_export(queryset=queryset, fmt=fmt, stream=_TextOut(self.stdout))
            self.stdout.flush()
            self.stderr.write(EXPORTED.format(count=count, path="stdout"), style_func=str)
            return
        try:
            with open(path, "w", newline="", encoding="utf-8") as stream:
                count = customers_export(queryset=queryset, fmt=fmt, stream=stream)
        except OSError as error:
            raise CommandError(UNWRITABLE.format(path=path, error=error), returncode=2) from None
        self.stdout.write(EXPORTED.format(count=count, path=path))

"""manage.py export_customers PATH: stream customers to CSV or NDJSON, re-importable as is."""

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


class Command(BaseCommand):
    help = (
        "Write customers (optionally filtered like the API: --filter field__lookup=value) to a "
        "CSV or NDJSON file that import_customers reads back unchanged."
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
        fmt = format or format_infer(path)
        if fmt not in EXPORT_FORMATS:
            raise CommandError(NO_FORMAT.format(path=path), returncode=2)
        try:
            queryset = customer_export_queryset(list(filters))
        except ExportFilterInvalid as error:
            raise CommandError(str(error), returncode=2) from None
        try:
            with open(path, "w", newline="", encoding="utf-8") as stream:
                count = customers_export(queryset=queryset, fmt=fmt, stream=stream)
        except OSError as error:
            raise CommandError(UNWRITABLE.format(path=path, error=error), returncode=2) from None
        self.stdout.write(f"Exported {count} customers to {path}.")

"""manage.py import_orders PATH: marketplace orders; each upserts its customer first."""

from contextlib import ExitStack

from django.core.management.base import BaseCommand, CommandError

from customers.imports.readers import FORMATS, ImportFileError, format_infer
from customers.management.commands.import_customers import (
    NO_FORMAT,
    ROWS_REJECTED,
    LineTracker,
    error_printer,
    error_report_open,
    import_crashed,
    progress_open,
    run_arguments_add,
    source_open,
    summary_fill,
)
from customers.management.file_arguments import file_arguments_add
from orders.imports import OrderImportStopped, order_rows_read, orders_import

SUMMARY = (
    "{verb} {created} created, {updated} updated, {rejected} rejected "
    "in {seconds:.2f} s ({rate:,.0f} rows/s)."
)


class Command(BaseCommand):
    help = (
        "Create or update orders by (channel, number) from a JSON array, NDJSON or CSV file of "
        "API order objects whose `customer` is an object: the customer is created or updated "
        "in the order's channel first. Exit status 0: every row taken; 1: some rows rejected "
        "(the others are kept); 2: unusable arguments or file; 3: stopped by an unexpected "
        "error (the message names the line; rows before it are kept)."
    )

    def add_arguments(self, parser):
        file_arguments_add(parser, formats=FORMATS)
        run_arguments_add(parser)

    def handle(self, *args, path, format=None, dry_run=False, errors=None, **options):
        fmt = format or format_infer(path)
        if fmt is None:
            raise CommandError(NO_FORMAT.format(path=path), returncode=2)
        with ExitStack() as stack:
            stream = source_open(stack, path)
            # Past PRINTED_ERRORS, the order import stays quiet (no hint line).
            on_error = error_report_open(stack, errors) or error_printer(self.stderr, more=None)
            bar = progress_open(stack, self.stdout, "orders")
            reading = LineTracker(order_rows_read(stream, fmt))
            try:
                result = orders_import(
                    reading,
                    dry_run=dry_run,
                    on_error=on_error,
                    on_batch=bar.update if bar is not None else None,
                )
            except OrderImportStopped as stopped:
                raise import_crashed(stopped.error, stopped.line) from stopped.error
            except (ImportFileError, UnicodeDecodeError) as error:
                raise CommandError(str(error), returncode=2) from None
            except Exception as error:  # noqa: BLE001 - any other failure is exit status 3
                raise import_crashed(error, reading.line) from error
        self.stdout.write(summary_fill(SUMMARY, result, dry_run=dry_run))
        if result.rejected:
            raise CommandError(ROWS_REJECTED.format(count=result.rejected), returncode=1)

"""manage.py import_customers PATH: create or update customers from CSV, JSON or NDJSON.

PATH `-` reads stdin. Two reports of the rejected rows (customers.imports.reports), alone or
together: `--errors FILE`, the contract's CSV of `line,field,message` (one row per problem, as
import_orders writes it); `--rejected-rows FILE`, the rejected rows themselves with their line
and errors (CSV for a CSV import, NDJSON otherwise), to fix and import again.
`--if-unchanged-since` rejects the rows that would overwrite newer edits
(customers.imports.newer_edits). `--defer-indexes` (PostgreSQL) drops the customer table's
secondary indexes for a large load and rebuilds them before the command returns
(customers.imports.deferred_indexes).
"""

import sys
from contextlib import ExitStack
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from customers.imports import (
    UNKNOWN_DEFAULT_CHANNEL,
    ImportCounts,
    ImportResult,
    RowError,
    customers_import,
)
from customers.imports.deferred_indexes import DEFER_AUTO, DEFER_CHOICES
from customers.imports.history import IMPORT_REASON
from customers.imports.newer_edits import unchanged_since_parse
from customers.imports.readers import FORMATS, ImportFileError, format_infer, rows_read
from customers.imports.reports import (
    RejectedRows,
    error_callbacks_join,
    error_report_writer,
    rejected_rows_write,
)
from customers.management.file_arguments import file_arguments_add
from customers.management.import_input import STDIN, ImportInput, ImportProgress
from customers.models import Channel

NO_FORMAT = "Cannot tell the format from {path!r}: pass --format csv, json or ndjson."
ERRORS_HELP = "Write the error report here: a CSV of line,field,message, one row per problem."
REJECTED_ROWS_HELP = (
    "Write the rejected rows themselves here, each with its line and errors: CSV for a CSV "
    "import, NDJSON otherwise. Fix them and import this file again."
)
SINCE_HELP = (
    "Reject (instead of writing) the rows whose customer was changed after this ISO 8601 "
    'date and time; "row": after the updated_at/version the row itself carries (an export).'
)
DEFER_HELP = (
    "PostgreSQL: drop the customer table's secondary indexes (search included) for the load "
    "and build them again at its end; auto (default): when the file holds at least half as "
    "many rows as the table and 20,000. Searches and filters scan meanwhile. Ignored on "
    "SQLite."
)
INDEXES_REBUILT = "Deferred indexes rebuilt in {seconds:.1f} s."
UNREADABLE = "Cannot read {path!r}: {error}"
UNWRITABLE = "Cannot write the error report {path!r}: {error}"
UNWRITABLE_ROWS = "Cannot write the rejected rows report {path!r}: {error}"
ROWS_REJECTED = "{count} row(s) rejected."
CRASHED = (
    "The import stopped at line {line}: {error}. Batches before it are kept; fix the row "
    "or report the problem, then run the import again."
)
PRINTED_ERRORS = 50
MORE_ERRORS = (
    "... more errors: pass --errors PATH (line,field,message) or --rejected-rows PATH (the "
    "rows to fix) for the full report."
)
SUMMARY = (
    "{verb} {created} created, {updated} updated, {unchanged} unchanged, {rejected} rejected"
    "{superseded_note} in {seconds:.2f} s ({rate:,.0f} rows/s)."
)


def source_open(stack: ExitStack, path: str):
    """Open the file to import (a UTF-8 BOM is dropped); exit status 2 if it cannot be read."""
    try:
        return stack.enter_context(open(path, encoding="utf-8-sig", newline=""))  # noqa: SIM115
    except OSError as error:
        raise CommandError(UNREADABLE.format(path=path, error=error), returncode=2) from None


def error_printer(stderr, *, more: str | None = MORE_ERRORS):
    """Without a report: a callback showing the first rejections on stderr, then `more` once."""
    printed = 0

    def error_print(error: RowError) -> None:
        nonlocal printed
        printed += 1
        if printed <= PRINTED_ERRORS:
            stderr.write(f"line {error.line}, {error.field or 'row'}: {error.message}")
        elif printed == PRINTED_ERRORS + 1 and more:
            stderr.write(more)

    return error_print


def error_report_open(stack: ExitStack, path: str | None):
    """Open the `line,field,message` CSV report; return a callback writing one error."""
    if not path:
        return None
    try:
        handle = stack.enter_context(open(path, "w", newline="", encoding="utf-8"))  # noqa: SIM115
    except OSError as error:
        raise CommandError(UNWRITABLE.format(path=path, error=error), returncode=2) from None
    return error_report_writer(handle)


def progress_open(stack: ExitStack, stream, unit: str):
    """A tqdm bar on a terminal; None (quiet) otherwise."""
    if not (hasattr(stream, "isatty") and stream.isatty()):
        return None
    from tqdm import tqdm

    return stack.enter_context(tqdm(unit=f" {unit}", unit_scale=True, file=sys.stderr))


def run_arguments_add(parser) -> None:
    """--dry-run and --errors, which every import command takes after its own options."""
    parser.add_argument("--dry-run", action="store_true", help="Validate; write nothing.")
    parser.add_argument("--errors", metavar="PATH", help=ERRORS_HELP)


def summary_fill(template: str, result: ImportCounts, *, dry_run: bool, **more) -> str:
    """`template` filled with the verb, the result's counts and seconds, rows/s and `more`."""
    return template.format(
        verb="Dry run, nothing written:" if dry_run else "Imported:",
        rate=result.rows_per_second,
        **vars(result),
        **more,
    )


def summary_format(result: ImportResult, *, dry_run: bool) -> str:
    """The final line: created, updated, rejected and rows/s."""
    superseded = (
        f", {result.superseded} superseded by a later row with the same e-mail"
        if result.superseded
        else ""
    )
    return summary_fill(SUMMARY, result, dry_run=dry_run, superseded_note=superseded)


class Command(BaseCommand):
    help = (
        "Create or update customers by (channel, email) from a CSV, JSON array or NDJSON file "
        "of API customer objects (PATH - reads stdin; then pass --format). Exit status 0: "
        "every row taken; 1: some rows rejected (the others are kept); 2: unusable arguments "
        "or file; 3: the import stopped on an unexpected error (the message names the line)."
    )

    def add_arguments(self, parser):
        file_arguments_add(parser, formats=FORMATS)
        parser.add_argument("--channel", help="Channel code for rows that name none.")
        run_arguments_add(parser)
        parser.add_argument("--rejected-rows", metavar="PATH", help=REJECTED_ROWS_HELP)
        parser.add_argument("--batch-size", type=int, default=5000, help="Rows per transaction.")
        parser.add_argument("--if-unchanged-since", metavar="DATETIME|row", help=SINCE_HELP)
        parser.add_argument(
            "--defer-indexes", choices=DEFER_CHOICES, default=DEFER_AUTO, help=DEFER_HELP
        )

    # call_command(..., stdin=<binary stream>) stands in for the process's stdin.
    stealth_options = ("stdin",)

    def handle(self, *args, path, format=None, channel=None, dry_run=False, errors=None, **opts):
        fmt = format or (None if path == STDIN else format_infer(path))
        if fmt is None:
            raise CommandError(NO_FORMAT.format(path=path), returncode=2)
        if channel is not None and not Channel.objects.filter(code=channel).exists():
            raise CommandError(UNKNOWN_DEFAULT_CHANNEL.format(code=channel), returncode=2)
        try:
            since = unchanged_since_parse(opts.get("if_unchanged_since"))
        except ValueError as error:
            raise CommandError(f"--if-unchanged-since: {error}", returncode=2) from None
        with ExitStack() as stack:
            error_report = error_report_open(stack, errors)
            rows_report = rejected_rows_open(stack, opts.get("rejected_rows"))
            source = ImportInput(stack, path, stdin=opts.get("stdin"), keep=bool(rows_report))
            rejected = RejectedRows() if rows_report is not None else None
            progress = ImportProgress(self.stderr, source)
            stack.callback(progress.close)
            options = {"dry_run": dry_run, "default_channel": channel, "if_unchanged_since": since}
            options["batch_size"] = opts["batch_size"]
            options["defer_indexes"] = opts.get("defer_indexes", DEFER_AUTO)
            options["rows_expected"] = source.rows_expected
            name = "stdin" if path == STDIN else Path(path).name
            options["history_reason"] = f"{IMPORT_REASON} ({name})"
            options["on_batch"] = lambda result: progress.update(result.rows)
            on_error = error_callbacks_join(error_report, rejected)
            if error_report is None and rejected is None:
                on_error = error_printer(self.stderr)
            result = self._run(source.text, fmt, on_error, options)
            if rows_report is not None:
                rejected_rows_write(source.reopen(), fmt, rejected, rows_report)
        self.stdout.write(summary_format(result, dry_run=dry_run))
        if result.index_seconds is not None and opts.get("verbosity", 1) >= 2:
            self.stderr.write(INDEXES_REBUILT.format(seconds=result.index_seconds))
        if result.rejected:
            raise CommandError(ROWS_REJECTED.format(count=result.rejected), returncode=1)

    def _run(self, stream, fmt, on_error, options) -> ImportResult:
        reading = LineTracker(rows_read(stream, fmt))
        try:
            return customers_import(reading, on_error=on_error, **options)
        except (ImportFileError, UnicodeDecodeError) as error:
            raise CommandError(str(error), returncode=2) from None
        except Exception as error:  # noqa: BLE001 - any other failure is exit status 3
            raise import_crashed(error, reading.line) from error


def rejected_rows_open(stack: ExitStack, path: str | None):
    """Open the rejected rows report now, so an unwritable path stops the import before it
    starts (the rows are written once the import is done)."""
    if not path:
        return None
    try:
        return stack.enter_context(open(path, "w", newline="", encoding="utf-8"))  # noqa: SIM115
    except OSError as error:
        raise CommandError(UNWRITABLE_ROWS.format(path=path, error=error), returncode=2) from None


class LineTracker:
    """An import's rows, remembering the line of the last one read (for a crash's message)."""

    def __init__(self, rows):
        self.rows = rows
        self.line = 0

    def __iter__(self):
        for row in self.rows:
            self.line = row[0]
            yield row


def import_crashed(error: Exception, line: int) -> CommandError:
    """Exit status 3 naming the line the import had reached, without a traceback; the
    error's type only (its text may quote the row's values)."""
    return CommandError(CRASHED.format(line=line, error=type(error).__name__), returncode=3)

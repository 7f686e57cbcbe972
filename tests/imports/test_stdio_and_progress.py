"""`-` reads stdin and writes stdout; the progress goes to stderr, a bar on a terminal."""

import io
import os
import select
import time
from contextlib import ExitStack
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import OutputWrapper
from tqdm import tqdm

from customers.management.import_input import (
    PLAIN_EVERY,
    ImportInput,
    ImportProgress,
    progress_line,
)
from customers.models import Customer
from tests.imports.helpers import rejected_rows_errors, run

pytestmark = pytest.mark.django_db

CSV = "channel,email,first_name\nweb,a@example.com,Ann\nweb,nope,Bad\nweb,b@example.com,Bo\n"


def test_import_reads_stdin(channel, tmp_path):
    report = tmp_path / "errors.csv"

    code, out, _ = run(
        "import_customers",
        "-",
        format="csv",
        stdin=io.BytesIO(CSV.encode()),
        rejected_rows=str(report),
    )

    assert code == 1
    assert "2 created, 0 updated, 0 unchanged, 1 rejected" in out
    assert sorted(Customer.objects.values_list("email", flat=True)) == [
        "a@example.com",
        "b@example.com",
    ]
    # the report of stdin is made from a copy of what was read
    assert [line for line, _, _ in rejected_rows_errors(report)] == [3]
    assert "web,nope,Bad,3," in report.read_text()


def test_import_from_stdin_needs_a_format(channel):
    code, _, err = run("import_customers", "-", stdin=io.BytesIO(CSV.encode()))

    assert code == 2
    assert "Cannot tell the format from '-'" in err


@pytest.mark.parametrize("fmt", ["csv", "ndjson"])
def test_export_writes_stdout_and_nothing_else(channel, tmp_path, fmt):
    # given
    Customer.objects.create(channel=channel, email="a@example.com", first_name="Ann")
    path = tmp_path / f"file.{fmt}"
    run("export_customers", str(path))

    # when
    code, out, err = run("export_customers", "-", format=fmt)

    # then: stdout is the file, byte for byte; the summary is on stderr
    assert code == 0
    assert out == path.read_bytes().decode("utf-8")
    assert err.strip() == "Exported 1 customers to stdout."


def test_export_to_stdout_reimports_from_stdin(channel, groups):
    Customer.objects.create(channel=channel, email="a@example.com", first_name="Ann")
    _, out, _ = run("export_customers", "-", format="ndjson")
    Customer.objects.all().delete()

    code, summary, _ = run("import_customers", "-", format="ndjson", stdin=io.BytesIO(out.encode()))

    assert code == 0
    assert "1 created" in summary
    assert Customer.objects.get().first_name == "Ann"


def _pty_read(master: int) -> str:
    chunks = []
    while select.select([master], [], [], 0.2)[0]:
        try:
            chunks.append(os.read(master, 65536))
        except OSError:
            break
    return b"".join(chunks).decode("utf-8", "replace")


def test_a_terminal_gets_a_bar_with_total_rows_and_rate(channel, write):
    # given: stderr is a real pseudo-terminal
    rows = "".join(f"web,c{n}@example.com,N{n}\n" for n in range(300))
    path = write("c.csv", "channel,email,first_name\n" + rows)
    size = os.path.getsize(path)
    master, slave = os.openpty()
    try:
        with os.fdopen(slave, "w", encoding="utf-8") as terminal:
            # when
            out = StringIO()
            call_command("import_customers", path, batch_size=100, stdout=out, stderr=terminal)
        shown = _pty_read(master)
    finally:
        os.close(master)

    # then: the bar ends at the whole file, with the rows and a rate (tqdm's form)
    final = shown.replace("\r", "\n").strip().splitlines()[-1]
    assert final.startswith("100%|")
    shown_size = tqdm.format_sizeof(size, divisor=1024)
    assert f"| {shown_size}/{shown_size} [" in final
    assert "B/s, 300 rows]" in final
    assert "300 created" in out.getvalue()


def test_no_terminal_no_bar(channel, write):
    path = write("c.csv", CSV)

    _, _, err = run("import_customers", path)

    assert "%|" not in err


def test_plain_progress_line_gives_share_rate_and_time_left():
    assert progress_line(20_000, 2_500_000, 10_000_000, 10.0) == (
        "20,000 rows read, 25% of 10.0 MB in 10 s (2,000 rows/s, about 30 s left)."
    )
    assert progress_line(500, 1000, None, 2.0) == "500 rows read in 2 s (250 rows/s)."


def test_plain_lines_come_every_few_seconds(channel, write):
    class Clock:
        now = time.monotonic()

        def __call__(self):
            return self.now

    clock, err = Clock(), StringIO()
    path = write("c.csv", CSV)
    with ExitStack() as stack:
        source = ImportInput(stack, path)
        progress = ImportProgress(OutputWrapper(err), source, clock=clock)
        source.text.read()
        progress.update(3)
        clock.now += PLAIN_EVERY
        progress.update(3)
        progress.update(3)

    assert err.getvalue().splitlines() == [progress_line(3, len(CSV), len(CSV), PLAIN_EVERY)]

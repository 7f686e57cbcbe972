import csv
import io
import json
from io import StringIO

from django.core.management import call_command
from django.core.management.base import CommandError

from customers.models import Customer


def run(*args, **options) -> tuple[int, str, str]:
    """Run a command; return (exit status, stdout, stderr)."""
    out, err = StringIO(), StringIO()
    try:
        call_command(*args, stdout=out, stderr=err, **options)
    except CommandError as error:
        return error.returncode, out.getvalue(), err.getvalue() + str(error)
    return 0, out.getvalue(), err.getvalue()


def state() -> dict:
    """Every customer with its addresses and groups, keyed by (channel, email), minus ids
    and timestamps that an import is allowed to move."""
    skip = {"id", "updated_at", "created_at", "date_joined", "channel", "last_order"}
    result = {}
    customers = Customer.objects.select_related("channel")
    for customer in customers.prefetch_related("addresses", "memberships__group"):
        values = {
            f.attname: getattr(customer, f.attname)
            for f in Customer._meta.concrete_fields
            if f.name not in skip
        }
        values["addresses"] = [
            {k: v for k, v in a.__dict__.items() if k not in ("_state", "id", "customer_id", *skip)}
            for a in customer.addresses.all()
        ]
        values["groups"] = sorted(m.group.code for m in customer.memberships.all())
        result[(customer.channel.code, customer.email)] = values
    return result


def error_report_lines(path) -> list[tuple[int, str, str]]:
    """The (line, field, message) rows of an import's error report (`--errors`), after
    checking its header is exactly `line,field,message`."""
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["line", "field", "message"], rows[0]
    assert all(len(row) == 3 for row in rows[1:]), rows
    return [(int(line), field, message) for line, field, message in rows[1:]]


def rejected_rows_errors(path, fmt: str = "csv") -> list[tuple[int, str, str]]:
    """The (line, field, message) triples of an import's rejected rows report
    (`--rejected-rows`): the rows with their `line` and `errors`, as CSV (`fmt` csv) or NDJSON
    (`errors` an object)."""
    with open(path, encoding="utf-8", newline="") as handle:
        text = handle.read()
    found = []
    if fmt == "csv":
        for record in csv.DictReader(io.StringIO(text)):
            for entry in record["errors"].split("\n"):
                field, _, message = entry.partition(": ")
                found.append((int(record["line"]), "" if field == "row" else field, message))
        return found
    for line in text.splitlines():
        item = json.loads(line)
        for field, messages in item["errors"].items():
            found += [(item["line"], "" if field == "row" else field, m) for m in messages]
    return found

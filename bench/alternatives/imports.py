"""The import alternatives of bench/compare.py, run in Patron's Django on DATABASE_URL.

    python bench/alternatives/imports.py {import-export|update-or-create} FILE --channel CODE

Both write the customer row of each CSV line (e-mail, names, phone, gender, birth date,
consent, ERP code, attributes) through the ORM, keyed by (channel, email), into Patron's own
schema, so its indexes, its history rows (django-simple-history's signals) and its search index
apply as they do to Patron. They skip the address and group columns Patron also writes: the
comparison is in their favour. Prints "N rows in S s".
"""

import argparse
import csv
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bench_setup  # noqa: E402, F401  Django set up: before any app module

# isort: split

import json  # noqa: E402

import tablib  # noqa: E402
from django.db import transaction  # noqa: E402
from import_export import fields, resources, widgets  # noqa: E402

from customers.models import Channel, Customer  # noqa: E402

COLUMNS = (
    "email",
    "first_name",
    "last_name",
    "phone",
    "gender",
    "date_of_birth",
    "email_allowed",
    "erp_code",
    "attributes",
)


class CustomerResource(resources.ModelResource):
    """The minimal resource: the CSV's customer columns, rows found by e-mail in one channel."""

    attributes = fields.Field(
        attribute="attributes", column_name="attributes", widget=widgets.JSONWidget()
    )

    def __init__(self, channel: Channel):
        super().__init__()
        self.channel = channel

    def get_queryset(self):
        return Customer.objects.filter(channel=self.channel)

    def before_save_instance(self, instance, row, **kwargs):
        instance.channel = self.channel

    class Meta:
        model = Customer
        fields = COLUMNS
        import_id_fields = ("email",)
        use_transactions = True


def import_export_run(path: Path, channel: Channel) -> int:
    """django-import-export's own path: a tablib Dataset, `import_data`, one transaction."""
    dataset = tablib.Dataset().load(path.read_text(encoding="utf-8"), format="csv")
    result = CustomerResource(channel).import_data(dataset, dry_run=False, raise_errors=True)
    return result.total_rows


def update_or_create_run(path: Path, channel: Channel) -> int:
    """The loop everyone writes first: `update_or_create` per row, one transaction."""
    count = 0
    with path.open(newline="", encoding="utf-8") as handle, transaction.atomic():
        for row in csv.DictReader(handle):
            values = {name: row[name] for name in COLUMNS[1:]}
            values["attributes"] = json.loads(values["attributes"])
            values["email_allowed"] = values["email_allowed"] == "true"
            Customer.objects.update_or_create(channel=channel, email=row["email"], defaults=values)
            count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("how", choices=["import-export", "update-or-create"])
    parser.add_argument("path", type=Path)
    parser.add_argument("--channel", default="bench")
    args = parser.parse_args()
    channel = Channel.objects.get(code=args.channel)
    run = import_export_run if args.how == "import-export" else update_or_create_run
    started = time.monotonic()
    rows = run(args.path, channel)
    print(f"{rows} rows in {time.monotonic() - started:.2f} s")


if __name__ == "__main__":
    main()

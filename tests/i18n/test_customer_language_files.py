"""A customer's language is an import and export column like any other field."""

import csv

import pytest

from customers.models import Customer
from tests.customers.factories import ChannelFactory, CustomerFactory
from tests.imports.helpers import run

pytestmark = pytest.mark.django_db


def test_import_sets_and_clears_the_language_and_export_writes_it(tmp_path):
    # given
    channel = ChannelFactory(code="web")
    CustomerFactory(channel=channel, email="clear@example.com", language="es")
    source = tmp_path / "in.csv"
    source.write_text(
        "channel,email,language\nweb,ana@example.com,pt-br\nweb,clear@example.com,\n",
        encoding="utf-8",
    )

    # when
    code, _, err = run("import_customers", str(source))
    exported = tmp_path / "out.csv"
    run("export_customers", str(exported))

    # then
    assert code == 0, err
    languages = dict(Customer.objects.values_list("email", "language"))
    assert languages == {"ana@example.com": "pt-br", "clear@example.com": ""}
    with exported.open(encoding="utf-8") as stream:
        rows = {row["email"]: row["language"] for row in csv.DictReader(stream)}
    assert rows == languages


def test_import_refuses_an_unknown_language_naming_the_column(tmp_path):
    ChannelFactory(code="web")
    source = tmp_path / "in.csv"
    source.write_text("channel,email,language\nweb,ana@example.com,pt_BR\n", encoding="utf-8")

    code, _, err = run("import_customers", str(source))

    assert code != 0
    assert 'line 2, language: "pt_BR" is not a valid choice.' in err
    assert not Customer.objects.exists()

"""Leaner indexes: every index costs each insert and update, and imports write millions.

- The five per-column trigram indexes become one over the search document (customers.search):
  the same searches, a fifth of the index upkeep. Its pending list is kept at 2 MB: writes are
  batched into the index (several times cheaper than fastupdate=off) and a search reads at
  most that much unmerged (about 2 ms).
- Text columns that are usually empty are indexed where set; names are narrowed through the
  search index; gender and user type lose theirs (a handful of values: scans win); foreign keys
  a composite index already starts with lose their single-column copies.
- The search index's expression gets a finer histogram (statistics target 1,000), so the
  planner tells common words from rare ones.
- History tables keep only what the history pages read (the object's id).

New indexes are built CONCURRENTLY before the old ones are dropped, so the table stays usable.
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

from config.migration_operations import (
    AddIndexConcurrently,
    RemoveIndexConcurrently,
    postgresql_only,
)

# Often empty: indexed only where set.
SET_INDEXED_COLUMNS = ("phone", "identification", "erp_code", "channel_code")
OLD_TRIGRAM_COLUMNS = ("first_name", "last_name", "email", "identification", "phone")
SEARCH_INDEX_SQL = (
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS customer_search_trgm ON customers_customer "
    "USING gin (upper((first_name || ' ' || last_name || ' ' || email || ' ' || phone || ' ' "
    "|| identification)) gin_trgm_ops) WITH (fastupdate = on, gin_pending_list_limit = 2048)"
)
OLD_TRIGRAM_SQL = (
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS customer_{column}_trgm ON customers_customer "
    "USING gin (upper({column}) gin_trgm_ops) WITH (fastupdate = off)"
)

# The planner estimates `document LIKE '%word%'` from the expression's histogram: 100 buckets
# put a word in 1 % of customers at 0.01 % (a bitmap of every match sorted, 55 ms at 1M, where
# walking the primary key takes 6 ms); 1,000 buckets see it.
SEARCH_STATISTICS_SQL = "ALTER INDEX customer_search_trgm ALTER COLUMN 1 SET STATISTICS {target}"

ADDRESS_CUSTOMER_INDEX_SQL = "CREATE INDEX {name} ON customers_address (customer_id)"


def _address_customer_index_name(schema_editor) -> str:
    return schema_editor._create_index_name("customers_address", ["customer_id"], suffix="")


def address_customer_index_drop(apps, schema_editor):
    name = _address_customer_index_name(schema_editor)
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {schema_editor.quote_name(name)}")


def address_customer_index_create(apps, schema_editor):
    name = schema_editor.quote_name(_address_customer_index_name(schema_editor))
    schema_editor.execute(ADDRESS_CUSTOMER_INDEX_SQL.format(name=name))


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("customers", "0006_trigram_fastupdate_off"),
        ("orders", "0004_history_date_unindexed"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="customer",
            index=models.Index(
                condition=models.Q(("username__isnull", False)),
                fields=["username"],
                name="customer_username_set_idx",
            ),
        ),
        *(
            AddIndexConcurrently(
                model_name="customer",
                index=models.Index(
                    condition=models.Q((name, ""), _negated=True),
                    fields=[name],
                    name=f"cust_{name}_set_idx",
                ),
            )
            for name in SET_INDEXED_COLUMNS
        ),
        AddIndexConcurrently(
            model_name="customer",
            index=models.Index(
                condition=models.Q(("last_order__isnull", False)),
                fields=["last_order"],
                name="customer_last_order_idx",
            ),
        ),
        postgresql_only(SEARCH_INDEX_SQL, "DROP INDEX CONCURRENTLY IF EXISTS customer_search_trgm"),
        postgresql_only(
            SEARCH_STATISTICS_SQL.format(target=1000), SEARCH_STATISTICS_SQL.format(target=-1)
        ),
        *(
            postgresql_only(
                f"DROP INDEX CONCURRENTLY IF EXISTS customer_{column}_trgm",
                OLD_TRIGRAM_SQL.format(column=column),
            )
            for column in OLD_TRIGRAM_COLUMNS
        ),
        RemoveIndexConcurrently(
            model_name="customer",
            name="customer_username_idx",
        ),
        RemoveIndexConcurrently(
            model_name="customer",
            name="customer_first_name_idx",
        ),
        RemoveIndexConcurrently(
            model_name="customer",
            name="customer_last_name_idx",
        ),
        RemoveIndexConcurrently(
            model_name="customer",
            name="customer_first_name_upper_idx",
        ),
        RemoveIndexConcurrently(
            model_name="customer",
            name="customer_last_name_upper_idx",
        ),
        RemoveIndexConcurrently(
            model_name="customer",
            name="customer_phone_idx",
        ),
        RemoveIndexConcurrently(
            model_name="customer",
            name="customer_identification_idx",
        ),
        RemoveIndexConcurrently(
            model_name="customer",
            name="customer_erp_code_idx",
        ),
        RemoveIndexConcurrently(
            model_name="customer",
            name="customer_channel_code_idx",
        ),
        RemoveIndexConcurrently(
            model_name="customer",
            name="customer_gender_idx",
        ),
        RemoveIndexConcurrently(
            model_name="customer",
            name="customer_user_type_idx",
        ),
        migrations.AlterField(
            model_name="address",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now, editable=False),
        ),
        # Django's AlterField would drop every index on exactly (customer_id), the two partial
        # unique ones included: drop only the foreign key's own index.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="address",
                    name="customer",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="addresses",
                        to="customers.customer",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunPython(address_customer_index_drop, address_customer_index_create)
            ],
        ),
        migrations.AlterField(
            model_name="address",
            name="updated_at",
            field=models.DateTimeField(auto_now=True),
        ),
        migrations.AlterField(
            model_name="customer",
            name="channel",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="customers",
                to="customers.channel",
            ),
        ),
        migrations.AlterField(
            model_name="customer",
            name="last_order",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="orders.order",
            ),
        ),
        migrations.AlterField(
            model_name="historicaladdress",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now, editable=False),
        ),
        migrations.AlterField(
            model_name="historicaladdress",
            name="customer",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="customers.customer",
            ),
        ),
        migrations.AlterField(
            model_name="historicaladdress",
            name="history_date",
            field=models.DateTimeField(),
        ),
        migrations.AlterField(
            model_name="historicaladdress",
            name="updated_at",
            field=models.DateTimeField(blank=True, editable=False),
        ),
        migrations.AlterField(
            model_name="historicalcustomer",
            name="channel",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="customers.channel",
            ),
        ),
        migrations.AlterField(
            model_name="historicalcustomer",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now, editable=False),
        ),
        migrations.AlterField(
            model_name="historicalcustomer",
            name="history_date",
            field=models.DateTimeField(),
        ),
        migrations.AlterField(
            model_name="historicalcustomer",
            name="updated_at",
            field=models.DateTimeField(blank=True, editable=False),
        ),
    ]

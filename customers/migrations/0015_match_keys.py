"""Duplicate detection's match keys on each customer, and the channel's country.

The columns are added empty (a constant default: no table rewrite on PostgreSQL), filled by
`customer_match_keys_backfill` (batches of 5,000 customers in id order, plain SQL on the table
names, so it reads the schema as of this migration), and only then indexed, so the backfill
writes no index entries. Reversing drops the columns.
"""

from django.conf import settings
from django.db import migrations, models


def match_keys_backfill(apps, schema_editor):
    from customers.match_keys import customer_match_keys_backfill

    customer_match_keys_backfill(using=schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0014_merged_into'),
        ('orders', '0006_custom_data_manufacturer_catalog'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='channel',
            name='country',
            field=models.CharField(blank=True, default='', help_text="ISO 3166 alpha-2: the region phones without a country code are read in (blank: the currency's country, if it has one).", max_length=2),
        ),
        migrations.AddField(
            model_name='customer',
            name='address_key',
            field=models.CharField(blank=True, default='', editable=False, max_length=129),
        ),
        migrations.AddField(
            model_name='customer',
            name='email_key',
            field=models.CharField(blank=True, default='', editable=False, max_length=254),
        ),
        migrations.AddField(
            model_name='customer',
            name='identification_key',
            field=models.CharField(blank=True, default='', editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name='customer',
            name='name_key',
            field=models.CharField(blank=True, default='', editable=False, max_length=511),
        ),
        migrations.AddField(
            model_name='customer',
            name='phone_key',
            field=models.CharField(blank=True, default='', editable=False, max_length=32),
        ),
        migrations.RunPython(match_keys_backfill, migrations.RunPython.noop, elidable=False),
        migrations.AddIndex(
            model_name='customer',
            index=models.Index(condition=models.Q(('email_key', ''), _negated=True), fields=['channel', 'email_key'], name='cust_email_key_idx'),
        ),
        migrations.AddIndex(
            model_name='customer',
            index=models.Index(condition=models.Q(('phone_key', ''), _negated=True), fields=['channel', 'phone_key'], name='cust_phone_key_idx'),
        ),
        migrations.AddIndex(
            model_name='customer',
            index=models.Index(condition=models.Q(('identification_key', ''), _negated=True), fields=['channel', 'identification_key'], name='cust_identification_key_idx'),
        ),
        migrations.AddIndex(
            model_name='customer',
            index=models.Index(condition=models.Q(('address_key', ''), _negated=True), fields=['channel', 'address_key'], name='cust_address_key_idx'),
        ),
        migrations.AddConstraint(
            model_name='channel',
            constraint=models.CheckConstraint(condition=models.Q(('country', ''), ('country__regex', '^[A-Z]{2}$'), _connector='OR'), name='channel_country_iso3166'),
        ),
    ]

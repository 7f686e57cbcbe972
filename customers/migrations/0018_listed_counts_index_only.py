"""Counts of listed customers from indexes alone: the status/consent and total_spent indexes
carry merged_into_id."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0017_translated_names'),
        ('orders', '0007_translated_names'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='customer',
            name='customer_status_consent_idx',
        ),
        migrations.RemoveIndex(
            model_name='customer',
            name='customer_total_spent_idx',
        ),
        migrations.AddIndex(
            model_name='customer',
            index=models.Index(fields=['status', 'email_allowed', 'sms_allowed', 'call_allowed'], include=('merged_into',), name='customer_status_consent_idx'),
        ),
        migrations.AddIndex(
            model_name='customer',
            index=models.Index(fields=['total_spent'], include=('merged_into',), name='customer_total_spent_idx'),
        ),
    ]

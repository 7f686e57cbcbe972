"""Duplicate candidate pairs, kept by the writes (customers.match_pairs): the table, then
every pair of the stored match keys, set-based (one INSERT … SELECT per reason's key index).
Reversing drops the table."""

import django.db.models.deletion
from django.db import migrations, models


def candidate_pairs_fill(apps, schema_editor):
    from customers.match_pairs import candidate_pairs_rebuild

    candidate_pairs_rebuild(using=schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0015_match_keys'),
    ]

    operations = [
        migrations.CreateModel(
            name='CandidatePair',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('score', models.PositiveSmallIntegerField()),
                ('reasons', models.PositiveSmallIntegerField()),
                ('channel', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='customers.channel')),
                ('customer_high', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='customers.customer')),
                ('customer_low', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='customers.customer')),
            ],
            options={
                'indexes': [models.Index(fields=['-score', 'customer_low', 'customer_high'], name='candidate_pair_best_idx'), models.Index(fields=['channel', '-score', 'customer_low', 'customer_high'], name='candidate_pair_channel_idx')],
                'constraints': [models.UniqueConstraint(fields=('customer_low', 'customer_high'), name='candidate_pair_unique'), models.CheckConstraint(condition=models.Q(('customer_low__lt', models.F('customer_high'))), name='candidate_pair_ordered')],
            },
        ),
        migrations.RunPython(candidate_pairs_fill, migrations.RunPython.noop, elidable=False),
    ]

"""The member search's index of the names' trigrams (pg_trgm, a PostgreSQL contrib extension that
the database owner may create: it is trusted), so that a search for part of a name reads the few
members it finds instead of every member in scope."""

import django.contrib.postgres.indexes
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("enrollment", "0013_merge_audit_names"),
        ("mutualaid", "0006_unit_type"),
    ]

    operations = [
        TrigramExtension(),
        migrations.AddIndex(
            model_name="enrollment",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["name"], name="enrollment_name_trigrams", opclasses=["gin_trgm_ops"]
            ),
        ),
    ]

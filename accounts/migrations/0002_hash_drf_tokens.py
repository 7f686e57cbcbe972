"""Turn the DRF tokens of earlier versions (stored in clear in authtoken_token) into hashed
API keys, so that integrations keep working with the key they have, then erase the clear keys.

Knox finds a key by its first 15 characters and checks the SHA-512 of the whole key: the
40-character DRF keys fit that as they are."""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.db import migrations
from django.utils import timezone

OLD_TABLE = "authtoken_token"
MIGRATED_NAME = "migrated token"
KEY_LOOKUP_LENGTH = 15


def hash_drf_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if OLD_TABLE not in connection.introspection.table_names():
        return
    api_key_model = apps.get_model("accounts", "ApiKey")
    days = getattr(settings, "API_KEY_EXPIRY_DAYS", 365)
    expiry = timezone.now() + timedelta(days=days) if days else None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT key, user_id, created FROM {OLD_TABLE}")
        rows = cursor.fetchall()
    api_key_model.objects.bulk_create(
        api_key_model(
            digest=hashlib.sha512(key.encode()).hexdigest(),
            token_key=key[:KEY_LOOKUP_LENGTH],
            user_id=user_id,
            name=MIGRATED_NAME,
            expiry=expiry,
        )
        for key, user_id, _created in rows
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {OLD_TABLE}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(hash_drf_tokens, migrations.RunPython.noop, elidable=False)]

"""Issue 13 (leak 11): names and chat in the room's state, event log and records are encrypted at rest.

The columns become text holding ``fernet:<token>`` of the JSON (``core.crypto.EncryptedJSONField``); rows
written before are encrypted here, with raw SQL (the historical model would try to decrypt them)."""

import core.crypto
from django.db import migrations

COLUMNS = [("room", "state"), ("roomevent", "frame"), ("roomrecord", "data")]


def encrypt_rows(apps, schema_editor):
    from core import crypto

    connection = schema_editor.connection
    for model_name, column in COLUMNS:
        table = apps.get_model("signaling", model_name)._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT id, "{column}" FROM "{table}" WHERE "{column}" NOT LIKE %s', [crypto.PREFIX + "%"])
            rows = cursor.fetchall()
            for pk, value in rows:
                cursor.execute(f'UPDATE "{table}" SET "{column}" = %s WHERE id = %s',
                               [crypto.encrypt(value or "{}"), pk])


def decrypt_rows(apps, schema_editor):
    from core import crypto

    connection = schema_editor.connection
    for model_name, column in COLUMNS:
        table = apps.get_model("signaling", model_name)._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT id, "{column}" FROM "{table}" WHERE "{column}" LIKE %s', [crypto.PREFIX + "%"])
            for pk, value in cursor.fetchall():
                cursor.execute(f'UPDATE "{table}" SET "{column}" = %s WHERE id = %s', [crypto.decrypt(value), pk])


class Migration(migrations.Migration):

    dependencies = [
        ('signaling', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='room',
            name='state',
            field=core.crypto.EncryptedJSONField(default=dict),
        ),
        migrations.AlterField(
            model_name='roomevent',
            name='frame',
            field=core.crypto.EncryptedJSONField(default=dict),
        ),
        migrations.AlterField(
            model_name='roomrecord',
            name='data',
            field=core.crypto.EncryptedJSONField(default=dict),
        ),
        migrations.RunPython(encrypt_rows, decrypt_rows),
    ]

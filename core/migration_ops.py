from django.db import migrations


class RunSQLOnPostgres(migrations.RunSQL):
    """SQL that only PostgreSQL has (exclusion constraints, extensions). On the embedded SQLite default the
    services layer's row locks and checks stand alone."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def encrypt_plaintext(app_label: str, model_name: str, *field_names: str) -> migrations.RunPython:
    """A data migration step, run BEFORE the AlterField to ``EncryptedTextField``: every non-empty value
    not yet encrypted becomes ``fernet:<token>`` with the current key (``core.crypto.encrypt``)."""

    def forwards(apps, schema_editor):
        from core import crypto

        model = apps.get_model(app_label, model_name)
        manager = model._base_manager
        for name in field_names:
            rows = manager.exclude(**{name: ""}).exclude(**{f"{name}__startswith": crypto.PREFIX})
            for pk, value in rows.values_list("pk", name).iterator(chunk_size=500):
                if value:
                    manager.filter(pk=pk).update(**{name: crypto.encrypt(value)})

    def backwards(apps, schema_editor):
        from core import crypto

        model = apps.get_model(app_label, model_name)
        manager = model._base_manager
        for name in field_names:
            for pk, value in manager.filter(**{f"{name}__startswith": crypto.PREFIX}).values_list("pk", name):
                manager.filter(pk=pk).update(**{name: crypto.decrypt(value)})

    return migrations.RunPython(forwards, backwards)

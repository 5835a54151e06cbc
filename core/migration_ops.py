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

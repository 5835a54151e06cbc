from django.db import migrations

from core.migration_ops import RunSQLOnPostgres


class Migration(migrations.Migration):
    """No double booking, enforced by PostgreSQL: one citizen cannot hold two confirmed registrations whose
    slots overlap in time. Needs the btree_gist extension (created here; a managed database may need an
    administrator to allow it)."""

    dependencies = [("scheduling", "0001_initial")]

    operations = [
        RunSQLOnPostgres(
            sql=[
                "CREATE EXTENSION IF NOT EXISTS btree_gist",
                "ALTER TABLE scheduling_registration ADD CONSTRAINT registration_no_overlap "
                "EXCLUDE USING gist (citizen_id WITH =, tstzrange(slot_starts_at, slot_ends_at) WITH &&) "
                "WHERE (status = 'confirmed')",
            ],
            reverse_sql=["ALTER TABLE scheduling_registration DROP CONSTRAINT registration_no_overlap"],
        ),
    ]

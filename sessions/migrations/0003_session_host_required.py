# Issue 11: every session has a host leader (NOT NULL). Existing hostless sessions get a leader of their
# host office (the first by pk); a hostless session of an office without any leader stops the migration
# with a message, since nobody could hold its host's controls.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def give_hostless_sessions_a_leader(apps, schema_editor):
    ReceptionSession = apps.get_model("reception_sessions", "ReceptionSession")
    RoleAssignment = apps.get_model("accounts", "RoleAssignment")
    for session in ReceptionSession.objects.filter(host__isnull=True).order_by("pk"):
        leader = (RoleAssignment.objects.filter(office_id=session.host_office_id, role="leader")
                  .order_by("user_id").values_list("user_id", flat=True).first())
        if leader is None:
            raise RuntimeError(
                f"Session {session.public_id} has no host and its office {session.host_office_id} no leader: "
                "grant the leader role there, then migrate again.")
        ReceptionSession.objects.filter(pk=session.pk).update(host_id=leader)


class Migration(migrations.Migration):

    dependencies = [
        ('reception_sessions', '0002_initial'),
        ('accounts', '0002_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(give_hostless_sessions_a_leader, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='receptionsession',
            name='host',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='hosted_sessions',
                                    to=settings.AUTH_USER_MODEL, verbose_name='lãnh đạo chủ trì'),
        ),
    ]

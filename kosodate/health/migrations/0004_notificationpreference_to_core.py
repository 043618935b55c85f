# NotificationPreference moved to core (issue 13): the health app forgets the model, the table and
# its rows stay where they are, and core's 0004 takes the model over (run_before: the table exists
# when core's state takes it).
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("health", "0003_legal_wording"),
    ]
    run_before = [
        ("core", "0004_notificationpreference_from_health"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="NotificationPreference")],
            database_operations=[],
        ),
    ]

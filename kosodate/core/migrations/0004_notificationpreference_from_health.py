# NotificationPreference moved here from the health app (issue 13) without moving its data: only
# the migration state changes; the table keeps its name (Meta.db_table). The health app's 0004
# runs before this one (its run_before), so core names no app here.
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_notification"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="NotificationPreference",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("email", models.BooleanField(default=True, verbose_name="by email")),
                        (
                            "sms_urgent",
                            models.BooleanField(
                                default=False, verbose_name="by SMS, urgent messages only"
                            ),
                        ),
                        ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated")),
                        (
                            "user",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="notification_preference",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "notification preference",
                        "verbose_name_plural": "notification preferences",
                        "db_table": "health_notificationpreference",
                    },
                ),
            ],
            database_operations=[],
        ),
    ]

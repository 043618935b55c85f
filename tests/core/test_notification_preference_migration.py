"""NotificationPreference moved from health to core without losing a row: the migrations change
only Django's state; the table and its data stay."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("core", "0003_notification"), ("health", "0003_legal_wording")]
AFTER = [
    ("core", "0004_notificationpreference_from_health"),
    ("health", "0004_notificationpreference_to_core"),
]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("back_to_the_latest_migrations")
def test_a_choice_made_before_the_move_is_kept():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old_apps = executor.loader.project_state(BEFORE).apps
    User = old_apps.get_model("accounts", "User")
    user = User.objects.create(username="prefs-kept", email="prefs@example.jp")
    old_apps.get_model("health", "NotificationPreference").objects.create(
        user=user, email=False, sms_urgent=True
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new_apps = executor.loader.project_state(AFTER).apps
    preference = new_apps.get_model("core", "NotificationPreference").objects.get(user_id=user.pk)
    assert (preference.email, preference.sms_urgent) == (False, True)

# CustomerWait now lives in workflow (workflow 0008 took it over, with its table and rows): drop it from
# orders' state only; the table orders_customerwait stays.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("orders", "0005_cancellation_and_mail_state"),
        ("workflow", "0008_customerwait_from_orders"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="CustomerWait")],
            database_operations=[],
        ),
    ]

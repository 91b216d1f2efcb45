# CustomerWait moves from orders to workflow (the process writes it, the trainer reads it): this migration
# takes the model into workflow's state over the table orders made, orders_customerwait, which keeps its
# name and its rows (no database change). orders 0006 then drops it from orders' state.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("orders", "0005_cancellation_and_mail_state"),
        ("workflow", "0007_cancellation_event_kinds"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="CustomerWait",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("mode", models.CharField(choices=[("async", "Asynchronous (a background job)"), ("sync", "Synchronous (inside the form's request)")], max_length=5)),
                        ("source", models.CharField(default="form", help_text="form, api, or batch (the trainer's made-up customers)", max_length=10)),
                        ("started_at", models.DateTimeField(db_index=True)),
                        ("duration_ms", models.PositiveIntegerField()),
                        ("outcome", models.CharField(choices=[("accepted", "Order accepted"), ("error", "Error shown")], max_length=10)),
                        ("error", models.CharField(blank=True, max_length=300)),
                        ("order", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="orders.order")),
                    ],
                    options={"db_table": "orders_customerwait", "ordering": ["-started_at"]},
                ),
            ],
            database_operations=[],
        ),
    ]

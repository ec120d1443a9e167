"""An index on OutboundEmail.sent_at for the hourly limit (sender.room_at
counts the emails sent in the last hour before each send: without it, a
scan of every email ever sent).

Database only for now: the model's Meta does not declare it yet (models.py
belongs to another change). When Meta gets the same index, replace this
operation by a plain AddIndex with `state_operations` only, or keep it and
add the index to the state here, so that makemigrations sees no change.
"""

from django.db import migrations, models

SENT = models.Index(fields=["sent_at"], condition=models.Q(sent_at__isnull=False),
                    name="outbound_email_sent")


class Migration(migrations.Migration):

    dependencies = [
        ("mail", "0002_suppression_events_inbound"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.AddIndex(model_name="outboundemail", index=SENT)],
            state_operations=[],
        ),
    ]

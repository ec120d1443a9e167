"""An index on OutboundEmail.sent_at for the hourly limit (sender.room_at
counts the emails sent in the last hour before each send: without it, a
scan of every email ever sent)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("mail", "0002_suppression_events_inbound"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="outboundemail",
            index=models.Index(fields=["sent_at"], condition=models.Q(sent_at__isnull=False),
                               name="outbound_email_sent"),
        ),
    ]

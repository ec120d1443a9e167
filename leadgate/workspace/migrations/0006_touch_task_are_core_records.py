# Touch and Task are core records of the leads app now (leads.0011), with
# their tables (workspace_touch, workspace_task) as they are: they leave this
# app's state only.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('leads', '0011_core_records'),
        # The last reference to workspace.Touch from another app, moved first.
        ('routing', '0005_slaclock_touch_in_leads'),
        ('workspace', '0005_open_task_indexes'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name='Task'),
                migrations.DeleteModel(name='Touch'),
            ],
        ),
    ]

# Touch is a core record now (leads.0011): the clock's stopping touch points
# there. The same table, so Django's state only.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('leads', '0011_core_records'),
        ('routing', '0004_alert_open_partial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name='slaclock',
                    name='touch',
                    field=models.ForeignKey(blank=True, help_text='the first human touch that stopped it', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='leads.touch'),
                ),
            ],
        ),
    ]

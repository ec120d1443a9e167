# Handoff and Outcome are core records of the leads app now (leads.0011), with
# their tables (handoff_handoff, handoff_outcome) as they are: they leave this
# app's state only.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('handoff', '0004_outcome_crm_fields'),
        ('leads', '0011_core_records'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name='Handoff'),
                migrations.DeleteModel(name='Outcome'),
            ],
        ),
    ]

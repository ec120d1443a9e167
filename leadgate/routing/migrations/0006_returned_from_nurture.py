"""Nurture's returns: the `returned` SLA segment (a nurtured lead that replied
or reached the MQL rule), one business hour by default like other inbound, and
the alert for a lead in nurture without a cadence."""

from django.db import migrations, models


def create(apps, schema_editor):
    apps.get_model("routing", "SlaPolicy").objects.get_or_create(
        segment="returned", defaults={"minutes": 60})


def remove(apps, schema_editor):
    apps.get_model("routing", "SlaPolicy").objects.filter(segment="returned").delete()


class Migration(migrations.Migration):
    dependencies = [("routing", "0005_slaclock_touch_in_leads")]
    operations = [
        migrations.AlterField(
            model_name="slapolicy", name="segment",
            field=models.CharField(choices=[
                ("hot_inbound", "Hot inbound request (demo, contact me)"),
                ("inbound", "Other inbound (forms, API)"), ("imported", "Imported lists"),
                ("returned", "Came back from nurture")], max_length=12, unique=True)),
        migrations.AlterField(
            model_name="alert", name="kind",
            field=models.CharField(choices=[
                ("sla_breach", "SLA breached"), ("nobody_available", "Nobody available"),
                ("no_owner", "Lead had no owner"), ("no_next_step", "Lead had no next step"),
                ("webhook_disabled", "Webhook switched off"),
                ("not_nurtured", "Lead in nurture had no cadence")], max_length=20)),
        migrations.RunPython(create, remove),
    ]

"""The default SLA policies: hot inbound 5 minutes, other inbound 1 business
hour, imported lists 1 business day (9 hours of a 09:00-18:00 day)."""

from django.db import migrations

DEFAULTS = [("hot_inbound", 5), ("inbound", 60), ("imported", 9 * 60)]


def create(apps, schema_editor):
    SlaPolicy = apps.get_model("routing", "SlaPolicy")
    for segment, minutes in DEFAULTS:
        SlaPolicy.objects.get_or_create(segment=segment, defaults={"minutes": minutes})


def remove(apps, schema_editor):
    apps.get_model("routing", "SlaPolicy").objects.filter(
        segment__in=[segment for segment, _ in DEFAULTS]).delete()


class Migration(migrations.Migration):
    dependencies = [("routing", "0001_initial")]
    operations = [migrations.RunPython(create, remove)]

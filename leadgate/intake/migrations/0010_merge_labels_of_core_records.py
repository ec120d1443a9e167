# A merge record names the rows it moved or dropped by model label, and undo
# finds the model by it: the records that became core records (leads.0011)
# are found under their new labels.

from django.db import migrations

RENAMED = {
    "workspace.touch": "leads.touch",
    "workspace.task": "leads.task",
    "handoff.handoff": "leads.handoff",
    "handoff.outcome": "leads.outcome",
}


def relabel(apps, renamed):
    Merge = apps.get_model("intake", "Merge")
    for merge in Merge.objects.only("pk", "moved", "dropped").iterator():
        moved = {renamed.get(label, label): rows for label, rows in (merge.moved or {}).items()}
        dropped = {renamed.get(label, label): rows for label, rows in (merge.dropped or {}).items()}
        if moved != (merge.moved or {}) or dropped != (merge.dropped or {}):
            Merge.objects.filter(pk=merge.pk).update(moved=moved, dropped=dropped)


def forwards(apps, schema_editor):
    relabel(apps, RENAMED)


def backwards(apps, schema_editor):
    relabel(apps, {new: old for old, new in RENAMED.items()})


class Migration(migrations.Migration):

    dependencies = [
        ('intake', '0009_arrival'),
        ('leads', '0011_core_records'),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]

"""Rules v2: the default rules plus points for marketing activities (page
visits, email opens, clicks and replies, events), which exist from intake 0005.

Added as a new version, never by editing v1: scores name the version that made
them. Skipped when a team already changed its rules (anything but the untouched
default v1 in force)."""

from django.db import migrations
from django.utils import timezone

ACTIVITY = [
    ("Pricing page visit", "activity:page_visit:/pricing", 10, 14),
    ("Page visit", "activity:page_visit", 1, 7),
    ("Email opened", "activity:email_open", 1, 14),
    ("Email link clicked", "activity:email_click", 5, None),
    ("Email replied (marketing)", "activity:email_reply", 10, None),
    ("Content downloaded", "activity:content_download", 8, None),
    ("Event registration", "activity:event_registered", 5, None),
    ("Event attended", "activity:event_attended", 15, None),
]


def add_version(apps, schema_editor):
    RuleSet = apps.get_model("scoring", "RuleSet")
    Rule = apps.get_model("scoring", "Rule")
    versions = list(RuleSet.objects.all())
    if len(versions) != 1 or versions[0].version != 1 or not versions[0].active:
        return
    v1 = versions[0]
    copied = {field.name: getattr(v1, field.name) for field in RuleSet._meta.concrete_fields
              if field.name not in ("id", "version", "created_at", "created_by", "active",
                                    "activated_at", "note")}
    now = timezone.now()
    v2 = RuleSet.objects.create(version=2, note="default rules with marketing activities",
                                created_at=now, **copied)
    Rule.objects.bulk_create(
        [Rule(ruleset=v2, kind=r.kind, name=r.name, field=r.field, operator=r.operator,
              value=r.value, points=r.points, half_life_days=r.half_life_days)
         for r in Rule.objects.filter(ruleset=v1).order_by("pk")]
        + [Rule(ruleset=v2, kind="engagement", name=name, field=event, operator="exists",
                value=True, points=points, half_life_days=half_life)
           for name, event, points, half_life in ACTIVITY])
    RuleSet.objects.filter(pk=v1.pk).update(active=False)
    RuleSet.objects.filter(pk=v2.pk).update(active=True, activated_at=now)


def remove_version(apps, schema_editor):
    RuleSet = apps.get_model("scoring", "RuleSet")
    if RuleSet.objects.filter(version=2, note="default rules with marketing activities").exists():
        RuleSet.objects.filter(version=2).delete()
        RuleSet.objects.filter(version=1).update(active=True)


class Migration(migrations.Migration):
    dependencies = [
        ("scoring", "0005_leadscore_model_and_activity_rules"),
        ("intake", "0005_activity"),
    ]

    operations = [migrations.RunPython(add_version, remove_version)]

"""The default rule set (v1, active): sensible B2B fit and engagement rules."""

from django.db import migrations

TARGET_COUNTRIES = ["US", "CA", "GB", "IE", "DE", "FR", "NL", "BE", "CH", "AT", "SE",
                    "DK", "NO", "FI", "ES", "IT", "AU", "NZ"]

FIT = [
    ("C-level", "fact.seniority", "eq", "c-level", 30),
    ("VP", "fact.seniority", "eq", "vp", 25),
    ("Director", "fact.seniority", "eq", "director", 20),
    ("Manager", "fact.seniority", "eq", "manager", 10),
    ("Student or unknown title", "fact.seniority", "in", ["student/other", "unknown"], -10),
    ("50+ employees", "account.employees", "gte", 50, 10),
    ("200+ employees", "account.employees", "gte", 200, 10),
    ("1000+ employees", "account.employees", "gte", 1000, 5),
    ("Free-mail address", "lead.email_free", "eq", True, -20),
    ("Role mailbox", "lead.email_role", "eq", True, -10),
    ("Target country", "lead.country", "in", TARGET_COUNTRIES, 10),
]

ENGAGEMENT = [
    ("Hot inquiry (demo, contact me)", "inquiry:hot", 30),
    ("Form fill", "form:any", 10),
    ("Call connected", "touch:call:connected", 15),
    ("Meeting booked", "touch:any:meeting_booked", 20),
    ("Email replied", "touch:email:replied", 10),
]


def create_default(apps, schema_editor):
    RuleSet = apps.get_model("scoring", "RuleSet")
    Rule = apps.get_model("scoring", "Rule")
    if RuleSet.objects.exists():
        return
    ruleset = RuleSet.objects.create(
        version=1, active=True, note="default rules", half_life_days=30,
        fit_a=50, fit_b=30, fit_c=15, engagement_1=40, engagement_2=20, engagement_3=5,
        mql_min_fit="B", mql_min_engagement=2, mql_hot=True,
    )
    rules = [
        Rule(ruleset=ruleset, kind="fit", name=name, field=field, operator=op, value=value,
             points=points)
        for name, field, op, value, points in FIT
    ] + [
        Rule(ruleset=ruleset, kind="engagement", name=name, field=event, operator="exists",
             value=True, points=points)
        for name, event, points in ENGAGEMENT
    ]
    Rule.objects.bulk_create(rules)


def remove_default(apps, schema_editor):
    apps.get_model("scoring", "RuleSet").objects.filter(version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("scoring", "0002_ruleset_rule_leadscore_and_more")]

    operations = [migrations.RunPython(create_default, remove_default)]

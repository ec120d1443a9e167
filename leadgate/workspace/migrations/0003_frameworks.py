"""The qualification frameworks every team starts with: BANT (the default),
ANUM, CHAMP and MEDDIC. They are data: a team edits them in the admin.

A question marked `short_term` must be met for the lead to be sales-ready
(need, authority and a timeframe within one or two sales cycles)."""

from django.db import migrations


def q(key, label, help_text, short_term=False, choices=None):
    question = {"key": key, "label": label, "help": help_text, "short_term": short_term}
    if choices:
        question["choices"] = choices
    return question


TIMEFRAMES = ["this quarter", "next quarter", "6-12 months", "over a year", "unknown"]

FRAMEWORKS = [
    ("bant", "BANT", "Budget, Authority, Need, Timeframe (IBM).", True, [
        q("need", "Need", "What problem are they trying to solve, and what does it cost them today?",
          short_term=True),
        q("authority", "Authority", "Who decides? Is this person the decision maker, "
          "an influencer or a user?", short_term=True,
          choices=["decision maker", "influencer", "user", "unknown"]),
        q("timeframe", "Timeframe", "When do they need a solution in place?", short_term=True,
          choices=TIMEFRAMES),
        q("budget", "Budget", "Is there budget, or a way to get it? How much?"),
    ]),
    ("anum", "ANUM", "Authority, Need, Urgency, Money: authority first.", False, [
        q("authority", "Authority", "Who signs? Who else is involved?", short_term=True,
          choices=["decision maker", "influencer", "user", "unknown"]),
        q("need", "Need", "What is the business need?", short_term=True),
        q("urgency", "Urgency", "Why now? What happens if they do nothing?", short_term=True,
          choices=TIMEFRAMES),
        q("money", "Money", "Budget available or obtainable?"),
    ]),
    ("champ", "CHAMP", "Challenges, Authority, Money, Prioritization.", False, [
        q("challenges", "Challenges", "Which challenges are they facing?", short_term=True),
        q("authority", "Authority", "Who decides and who influences?", short_term=True,
          choices=["decision maker", "influencer", "user", "unknown"]),
        q("money", "Money", "How will it be funded?"),
        q("prioritization", "Prioritization", "Where does this rank among their projects, "
          "and when must it be done?", short_term=True, choices=TIMEFRAMES),
    ]),
    ("meddic", "MEDDIC", "Metrics, Economic buyer, Decision criteria, Decision process, "
     "Identify pain, Champion: for complex sales.", False, [
        q("metrics", "Metrics", "Which measurable gains do they expect?"),
        q("economic_buyer", "Economic buyer", "Who has the final say on the money?",
          short_term=True),
        q("decision_criteria", "Decision criteria", "How will they compare solutions?"),
        q("decision_process", "Decision process", "Steps, people and dates to a signature?",
          short_term=True, choices=TIMEFRAMES),
        q("identify_pain", "Identify pain", "What pain drives the project?", short_term=True),
        q("champion", "Champion", "Who inside sells for us when we are not there?"),
    ]),
]


def create(apps, schema_editor):
    Framework = apps.get_model("workspace", "Framework")
    for kind, name, description, is_default, questions in FRAMEWORKS:
        Framework.objects.get_or_create(kind=kind, defaults={
            "name": name, "description": description, "questions": questions,
            "is_default": is_default and not Framework.objects.filter(is_default=True).exists(),
        })


def remove(apps, schema_editor):
    apps.get_model("workspace", "Framework").objects.filter(
        kind__in=[f[0] for f in FRAMEWORKS]).delete()


class Migration(migrations.Migration):
    dependencies = [("workspace", "0002_desk_models")]
    operations = [migrations.RunPython(create, remove)]

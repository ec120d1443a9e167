"""The scripts bench/cluster.py (and tests/test_soak.py) run in the
service's environment (`leadgate shell -c`): setting up what the traffic
needs, and reading back what the service stored."""

SETUP = """
from leadgate.api.models import WebhookSubscription
from leadgate.intake.models import WebForm
from leadgate.leads.models import Lead, User
form = WebForm.objects.create(name="Soak form", is_hot=True)
WebhookSubscription.objects.create(url={url!r}, events=["lead.created"])
print("FORM", form.key)
qualifier = User.objects.filter(username="qualifier").first()
ids = list(Lead.objects.on_desk().filter(owner=qualifier).values_list("pk", flat=True)[:200]
           if qualifier else [])
print("LEADS", ",".join(map(str, ids)))
"""

# With SETUP when handoffs and nurture sends are asked for: {handoffs} new
# leads on the qualifier's desk (processed: intake has nothing to do for
# them) to hand off, each with answers meeting its framework's short-term
# questions, a sales rep with an address to hand them to; and up to {nurture}
# active enrollments whose next step is an email that can go now (valid
# address, not suppressed, under the frequency cap, no condition), their
# steps' send windows opened (the demo's are business hours, lead-local) so
# that moving next_due_at (Cluster.make_due) is what makes them go.
SETUP_MORE = """
import json
from datetime import timedelta
from django.utils import timezone
from leadgate.intake.models import Inquiry
from leadgate.leads.models import Lead, User, create_lead
from leadgate.mail.models import Suppression
from leadgate.mail.suppression import suppressed
from leadgate.nurture import engine, timing
from leadgate.nurture.models import Enrollment, Step
from leadgate.workspace.forms import sales_reps
from leadgate.workspace.frameworks import UNKNOWN, framework_for, questions
from django.conf import settings
now = timezone.now()
qualifier = User.objects.get(username="qualifier")
rep = next(user for user in sales_reps() if user.email)
print("REP", json.dumps([rep.pk, rep.email]))
handoffs = []
for n in range({handoffs}):
    lead = create_lead(owner=qualifier, team=qualifier.team, stage="working", processed_at=now,
                       first_name="Hand", last_name=f"Off{{n}}", email=f"handoff{{n}}@hand.example",
                       company_name="Handoff Ltd", country="GB")
    Inquiry.objects.create(lead=lead, channel="form", payload={{"email": lead.email}})
    framework = framework_for(lead)
    answers = {{}}
    for question in questions(framework):
        if question.get("short_term"):
            choices = [c for c in question.get("choices") or [] if c.casefold() not in UNKNOWN]
            answers[question["key"]] = choices[0] if choices else "yes, this quarter"
    handoffs.append({{"lead": lead.pk, "framework": framework.kind if framework else "",
                     "answers": answers}})
print("HANDOFFS", json.dumps(handoffs))
nurture = []
for enrollment in (Enrollment.objects.filter(status="active").select_related("lead", "version")
                   .order_by("pk")):
    steps = engine._steps(enrollment.version)
    if enrollment.position >= len(steps) or len(nurture) >= {nurture}:
        continue
    step, lead = steps[enrollment.position], enrollment.lead
    cap = settings.LEADGATE_EMAIL_CAP_COUNT
    if (step.kind != Step.Kind.AUTO_EMAIL or step.condition or not lead.email
            or lead.email_invalid or lead.stage != "nurture"
            or Suppression.objects.filter(address__in=suppressed([lead.email])).exists()
            or (cap > 0 and len(engine.emails_in_window(lead.pk, now)) >= cap)):
        continue
    Step.objects.filter(pk=step.pk).update(window_days=[], window_start=None, window_end=None)
    step.refresh_from_db()
    calendar = timing.calendar_for(lead)
    if all(timing.in_window(step, calendar, now + timedelta(minutes=m)) for m in (0, 2, 4)):
        nurture.append([enrollment.pk, step.pk, enrollment.number])
print("NURTURE", json.dumps(nurture))
"""

# Run in the service's environment (`leadgate shell`): how often each
# acknowledged lead went through each after-intake step; with `{path}` a
# JSON file of the acknowledged {email: lead id or null}.
CHECK = """
import json
from collections import Counter
from soak import Stats, check_stored
from leadgate.api.models import WebhookDelivery
from leadgate.leads.models import Lead
from leadgate.mail.models import OutboundEmail
from leadgate.routing.models import Assignment, SlaClock
from leadgate.leads.models import Touch
from leadgate.routing.acknowledge import MARK

stats = Stats()
stats.acknowledged = json.load(open({path!r}))
report = check_stored(stats)
report.pop("waits")
leads = list(Lead.objects.filter(email__in=list(stats.acknowledged)).values_list("pk", flat=True))
def per_lead(rows):
    counts = Counter(rows)
    return sorted(Counter(counts.get(pk, 0) for pk in leads).items())
report["routings"] = per_lead(Assignment.objects.filter(lead__in=leads, why__in={routed!r})
                              .values_list("lead_id", flat=True))
report["clocks"] = per_lead(SlaClock.objects.filter(lead__in=leads)
                            .values_list("lead_id", flat=True))
report["ack emails"] = per_lead(OutboundEmail.objects.filter(
    lead__in=leads, kind="acknowledgement").values_list("lead_id", flat=True))
report["ack touches"] = per_lead(Touch.objects.filter(
    lead__in=leads, actor__isnull=True, notes__startswith=MARK).values_list("lead_id", flat=True))
report["webhook events"] = per_lead(WebhookDelivery.objects.filter(
    event="lead.created", payload__data__lead__id__in=leads)
    .values_list("payload__data__lead__id", flat=True))
report["unsent emails"] = OutboundEmail.objects.exclude(status="sent").count()
"""

# CHECK plus what the cluster's sinks can be compared with: the lead ids, the
# sent emails' Message-IDs (all, and the acknowledgements' by recipient) and
# the lead.created events' ids.
CHECK_SINKS = CHECK + """
report["lead ids"] = leads
report["sent message ids"] = list(OutboundEmail.objects.filter(lead__in=leads, status="sent")
                                  .values_list("message_id", flat=True))
report["ack message ids"] = [[to[0].lower(), message_id] for to, message_id in
    OutboundEmail.objects.filter(lead__in=leads, kind="acknowledgement", status="sent")
    .values_list("to", "message_id")]
report["event ids"] = [[lead, str(event)] for lead, event in WebhookDelivery.objects.filter(
    event="lead.created", payload__data__lead__id__in=leads)
    .values_list("payload__data__lead__id", "event_id")]
"""

# With CHECK_SINKS, for `{extra}` a JSON file of {"handoff leads": [lead id],
# "nurture": [[enrollment, step, cycle]]}: each lead's handoffs and each
# handoff's email (outbox key handoff:<pk>), and each nurture step's runs and
# email (key nurture:<enrollment>:<step>:<cycle>).
CHECK_MORE = """
from leadgate.leads.models import Handoff
from leadgate.nurture.models import Enrollment, StepRun
extra = json.load(open({extra!r}))
handoffs = list(Handoff.objects.filter(lead__in=extra["handoff leads"])
                .values_list("pk", "lead_id", "to_user_id", "to_user__email"))
emails = {{email.key: email for email in OutboundEmail.objects.filter(
    key__in=[f"handoff:{{pk}}" for pk, *_ in handoffs])}}
report["handoffs"] = [
    [pk, lead, rep, to, getattr(emails.get(f"handoff:{{pk}}"), "kind", None),
     getattr(emails.get(f"handoff:{{pk}}"), "to", None),
     getattr(emails.get(f"handoff:{{pk}}"), "status", None),
     getattr(emails.get(f"handoff:{{pk}}"), "message_id", None)]
    for pk, lead, rep, to in handoffs]
report["unsent"] = [[email.key, email.kind, email.status, str(email.claimed_until),
                     str(email.transmitting_at), email.attempts, email.last_error[:200]]
                    for email in OutboundEmail.objects.exclude(status="sent")[:20]]
report["nurture"] = []
for enrollment, step, cycle in extra["nurture"]:
    runs = list(StepRun.objects.filter(enrollment=enrollment, step=step, cycle=cycle)
                .values_list("status", flat=True))
    email = OutboundEmail.objects.filter(key=f"nurture:{{enrollment}}:{{step}}:{{cycle}}").first()
    row = Enrollment.objects.get(pk=enrollment)
    report["nurture"].append({{
        "step": [enrollment, step, cycle], "runs": runs,
        "email": [email.kind, email.status, email.message_id] if email else None,
        "enrollment": [row.status, row.position, str(row.next_due_at), row.exit_reason]}})
"""

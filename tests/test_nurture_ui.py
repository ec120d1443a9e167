"""The nurture pages: building cadences (versions, checks at save time), the
figures per step and variant, who may see and edit, the preview, and the
lead page's enrollment panel."""

import itertools
import re
from datetime import time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from leadgate.mail.models import EmailEvent, OutboundEmail
from leadgate.nurture.cadences import StepSpec, create_cadence, save_steps, specs_of, step_stats
from leadgate.nurture.models import Cadence, CadenceVersion, Enrollment, Step, StepRun
from tests.factories import make_lead, make_user

pytestmark = pytest.mark.django_db

_keys = itertools.count(1)


def email_step(delay=0, subject="Hello {{ lead.first_name }}", body="Hi {{ lead.first_name }},",
               html="", **fields):
    return StepSpec("auto_email", delay, variants=[("A", subject, body, html)], **fields)


def call_step(delay=2):
    return StepSpec("call", delay, instructions="Ask {{ lead.first_name }} about timing",
                    variants=[("A", "Call {{ lead.first_name }}", "", "")])


FOUR = [email_step(), StepSpec("wait", 3), call_step(),
        email_step(2, subject="Still there, {{ lead.first_name }}?")]


@pytest.fixture
def cadence(mia):
    cadence = create_cadence("Long-term", by=mia, description="Quarterly buyers")
    save_steps(cadence, FOUR, by=mia)
    return cadence


def enrollment(lead, version, **fields):
    return Enrollment.objects.create(lead=lead, lead_cycle=lead.cycle, version=version,
                                     trigger="manual", **fields)


def editor_post(cadence, steps, action="save", **settings):
    """The editor's POST: the cadence's settings and `steps` (dicts of a
    step's fields without the "step-N-" prefix)."""
    data = {"name": cadence.name, "description": cadence.description, "role": cadence.role,
            "next_cadence": "", "note": "", "step-count": str(len(steps)), "action": action,
            **settings}
    for index, step in enumerate(steps):
        for name, value in step.items():
            data[f"step-{index}-{name}"] = value
    return data


EMAIL_FIELDS = {"kind": "auto_email", "delay_days": "0", "subject_A": "Hello {{ lead.first_name }}",
                "text_A": "Hi {{ lead.first_name }},"}
WAIT_FIELDS = {"kind": "wait", "delay_days": "3"}
CALL_FIELDS = {"kind": "call", "delay_days": "2", "subject_A": "Call {{ lead.first_name }}",
               "instructions": "Ask about timing", "window_days": ["0", "1", "2", "3", "4"],
               "window_start": "09:00", "window_end": "12:00"}


# --- building cadences -------------------------------------------------------------------


def test_it_creates_a_cadence_at_version_1_without_steps(mia):
    cadence = create_cadence("Long-term", by=mia, role="first")
    version = cadence.current_version()
    assert (cadence.role, cadence.created_by, version.number, version.steps.count()) == (
        "first", mia, 1, 0)


def test_it_refuses_a_second_cadence_of_the_same_name(mia, cadence):
    with pytest.raises(ValidationError) as refused:
        create_cadence("Long-term", by=mia)
    assert "name" in refused.value.message_dict
    assert Cadence.objects.count() == 1


def test_it_refuses_a_second_first_cadence(mia):
    create_cadence("Long-term", by=mia, role="first")
    with pytest.raises(ValidationError) as refused:
        create_cadence("Webinar", by=mia, role="first")
    assert refused.value.message_dict == {
        "role": ["“Long-term” is already the first cadence; take the role from it first"]}
    assert Cadence.objects.count() == 1


def test_it_rewrites_a_version_no_lead_started_in_place(mia, cadence):
    version = save_steps(cadence, [email_step(), call_step()], by=mia, note="shorter")
    assert (version.number, version.note, CadenceVersion.objects.count()) == (1, "shorter", 1)
    assert [step.kind for step in version.ordered_steps()] == ["auto_email", "call"]


def test_it_saves_an_edit_of_a_version_in_use_as_the_next_one(mia, alice, cadence):
    first = cadence.current_version()
    enrolled = enrollment(make_lead(owner=alice), first)
    second = save_steps(cadence, [email_step(), call_step()], by=mia)
    enrolled.refresh_from_db()
    assert (second.number, cadence.current_version(), enrolled.version) == (2, second, first)
    assert [step.kind for step in first.ordered_steps()] == [
        "auto_email", "wait", "call", "auto_email"]
    assert [step.kind for step in second.ordered_steps()] == ["auto_email", "call"]


def test_it_makes_no_new_version_when_nothing_changed(mia, alice, cadence):
    first = cadence.current_version()
    enrollment(make_lead(owner=alice), first)
    assert save_steps(cadence, specs_of(first), by=mia) == first
    assert CadenceVersion.objects.count() == 1


def test_it_refuses_an_unknown_merge_field_naming_step_variant_and_part(mia, cadence):
    before = specs_of(cadence.current_version())
    steps = [email_step(), StepSpec("auto_email", 2, variants=[
        ("A", "Hello", "Hi", ""), ("B", "Hi {{ lead.favorite }}", "Hi", "")])]
    with pytest.raises(ValidationError) as refused:
        save_steps(cadence, steps, by=mia)
    (message,) = refused.value.message_dict["1.B.subject"]
    assert message.startswith("step 2, variant B, subject: line 1: unknown merge field "
                              "lead.favorite")
    assert specs_of(cadence.current_version()) == before


@pytest.mark.parametrize(("step", "key", "words"), [
    (StepSpec("auto_email", 0, variants=[("A", "Hello", "", "")]), "0.A.text_body",
     "an email needs a text or HTML body"),
    (StepSpec("auto_email", 0), "0.variants", "an email needs a subject and a body"),
    (StepSpec("call", 1, variants=[("A", "", "notes", "")]), "0.A.subject",
     "a task needs a title"),
    (StepSpec("wait", 0), "0.delay_days", "a wait step waits at least 1 business day"),
    (StepSpec("auto_email", 0, variants=[(label, "Hi", "Hi", "") for label in "ABCDE"]),
     "0.variants", "at most 4 variants"),
    (email_step(window_start=time(17), window_end=time(9)), "0.window_end",
     "the window must end after it starts"),
    (email_step(window_days=[7]), "0.window_days", "weekdays are 0 (Monday) to 6 (Sunday)"),
    (email_step(condition={"grades": ["Z9"]}), "0.condition.grades", "is not a grade"),
    (email_step(html="{% for x in y %}{% endfor %}"), "0.A.html_body", "is not allowed"),
    (StepSpec("teleport", 0), "0.kind", "is not one of"),
])
def test_it_refuses_a_step_that_cannot_run(mia, cadence, step, key, words):
    with pytest.raises(ValidationError) as refused:
        save_steps(cadence, [step], by=mia)
    assert words in " ".join(refused.value.message_dict[key])
    assert refused.value.message_dict[key][0].startswith("step 1, ")


def test_it_refuses_a_cadence_without_steps(mia, cadence):
    with pytest.raises(ValidationError) as refused:
        save_steps(cadence, [], by=mia)
    assert refused.value.message_dict == {"steps": ["a cadence needs at least one step"]}


# --- figures -------------------------------------------------------------------------------


def sent_email(lead, status="sent", events=()):
    n = next(_keys)
    email = OutboundEmail.objects.create(
        key=f"test:{n}", kind="nurture", lead=lead, to=[lead.email], subject="Hi", body="Hi",
        message_id=f"<{n}@test>", status=status)
    for kind, bot in events:
        EmailEvent.objects.create(email=email, kind=kind, bot=bot)
    return email


@pytest.fixture
def figures(mia, alice):
    """Four leads through an A/B first step and a wait, with what their
    emails led to (see the test for the counts it makes)."""
    cadence = create_cadence("A/B", by=mia)
    version = save_steps(cadence, [
        StepSpec("auto_email", 0, variants=[("A", "Short", "Hi", ""), ("B", "Long", "Hi", "")]),
        StepSpec("wait", 2), call_step()], by=mia)
    first, wait, _ = version.ordered_steps()
    start = timezone.now() - timedelta(days=10)
    leads = [make_lead(owner=alice) for _ in range(4)]
    e1, e2, e3, e4 = (enrollment(lead, version) for lead in leads)
    runs = [
        (e1, first, "A", sent_email(leads[0], events=[("opened", ""), ("opened", ""),
                                                      ("opened", "within 5 s"), ("clicked", "")])),
        (e2, first, "B", sent_email(leads[1], events=[("opened", "scanner user agent"),
                                                      ("bounced", "")])),
        (e3, first, "A", sent_email(leads[2], status="failed")),
        (e4, first, "B", sent_email(leads[3], events=[("opened", ""), ("replied", ""),
                                                      ("unsubscribed", "")])),
    ]
    for n, (enrolled, step, variant, email) in enumerate(runs):
        StepRun.objects.create(enrollment=enrolled, step=step, cycle=1, status="done",
                               variant=variant, email=email, at=start + timedelta(minutes=n))
    for enrolled in (e1, e4):
        StepRun.objects.create(enrollment=enrolled, step=wait, cycle=1, status="done",
                               at=start + timedelta(days=3))
    # e3 came back after step 1 (a hot inquiry), e4 after step 2 (a reply);
    # e2's bounce is an exit, not a return.
    for enrolled, reason in ((e2, "bounced"), (e3, "hot_inquiry"), (e4, "replied")):
        Enrollment.objects.filter(pk=enrolled.pk).update(
            status="exited", exit_reason=reason, ended_at=start + timedelta(days=4))
    return version


def counts(row):
    return {name: getattr(row, name) for name in row.COUNTED}


def test_it_counts_each_steps_figures_from_the_rows(figures):
    first, wait, call = step_stats(figures)
    assert counts(first) == {"enrolled": 4, "sent": 3, "opened": 2, "clicked": 1, "replied": 1,
                             "bounced": 1, "unsubscribed": 1, "converted": 1}
    assert counts(wait) == {"enrolled": 2, "sent": 0, "opened": 0, "clicked": 0, "replied": 0,
                            "bounced": 0, "unsubscribed": 0, "converted": 1}
    assert (call.enrolled, call.converted, call.variants) == (0, 0, [])
    assert (first.open_rate, wait.conversion_rate, call.conversion_rate) == (2 / 3, 1 / 2, None)


def test_it_counts_the_variants_of_an_email_step_apart(figures):
    first = step_stats(figures)[0]
    a, b = first.variants
    assert (a.label, a.subject, counts(a)) == ("A", "Short", {
        "enrolled": 2, "sent": 1, "opened": 1, "clicked": 1, "replied": 0, "bounced": 0,
        "unsubscribed": 0, "converted": 1})
    assert (b.label, b.subject, counts(b)) == ("B", "Long", {
        "enrolled": 2, "sent": 2, "opened": 1, "clicked": 0, "replied": 1, "bounced": 1,
        "unsubscribed": 1, "converted": 0})


def test_it_reads_the_figures_of_a_version_in_four_queries(figures, django_assert_num_queries):
    with django_assert_num_queries(4):
        step_stats(figures)


# --- who may do what -----------------------------------------------------------------------


def pages(cadence):
    return {
        "list": ("get", reverse("nurture-cadences")),
        "new": ("get", reverse("nurture-cadence-new")),
        "detail": ("get", reverse("nurture-cadence", args=[cadence.pk])),
        "edit": ("get", reverse("nurture-cadence-edit", args=[cadence.pk])),
        "save": ("post", reverse("nurture-cadence-edit", args=[cadence.pk])),
        "preview": ("get", reverse("nurture-cadence-preview", args=[cadence.pk])),
        "archive": ("post", reverse("nurture-cadence-archive", args=[cadence.pk])),
    }


def status_of(client, cadence, name):
    method, url = pages(cadence)[name]
    return getattr(client, method)(url).status_code


@pytest.mark.parametrize("role", ["manager", "marketing", "admin"])
def test_it_lets_managers_marketing_and_admins_build(client, cadence, role):
    client.force_login(make_user("pat", role))
    assert {name: status_of(client, cadence, name)
            for name in ("list", "new", "detail", "edit", "preview")} == dict.fromkeys(
        ("list", "new", "detail", "edit", "preview"), 200)


def test_it_lets_qualifiers_read_but_not_edit(client, alice, cadence):
    client.force_login(alice)
    assert {name: status_of(client, cadence, name) for name in pages(cadence)} == {
        "list": 200, "detail": 200, "preview": 200,
        "new": 403, "edit": 403, "save": 403, "archive": 403}
    assert Cadence.objects.get().archived_at is None


def test_it_refuses_every_page_to_sales(client, sam, cadence):
    client.force_login(sam)
    assert {status_of(client, cadence, name) for name in pages(cadence)} == {403}


def test_it_sends_anonymous_visitors_to_log_in(client, cadence):
    for method, url in pages(cadence).values():
        response = getattr(client, method)(url)
        assert (response.status_code, response["Location"].split("?")[0]) == (
            302, reverse("login")), url


def test_it_shows_the_nurture_link_to_readers_only(client, alice, sam):
    client.force_login(alice)
    assert reverse("nurture-cadences") in client.get(reverse("desk")).content.decode()
    client.force_login(sam)
    assert reverse("nurture-cadences") not in client.get(reverse("inbox")).content.decode()


# --- the pages -----------------------------------------------------------------------------


def test_it_lists_the_cadences_with_their_steps_and_leads(client, mia, alice, cadence):
    enrollment(make_lead(owner=alice), cadence.current_version())
    client.force_login(mia)
    html = client.get(reverse("nurture-cadences")).content.decode()
    row = re.search(rf'<tr data-cadence="{cadence.pk}">(.*?)</tr>', html, re.S).group(1)
    text = " ".join(re.sub(r"<[^>]+>", " ", row).split())
    assert "Long-term" in text and "v1" in text
    assert "4 steps: email → wait 3 d → call → email" in text
    assert re.search(r'data-label="Leads in it:">1<', row)


def test_it_creates_a_cadence_and_opens_its_editor(client, mia):
    client.force_login(mia)
    response = client.post(reverse("nurture-cadence-new"),
                           {"name": "Webinar follow-up", "description": "", "role": "first"})
    cadence = Cadence.objects.get(name="Webinar follow-up")
    assert response["Location"] == reverse("nurture-cadence-edit", args=[cadence.pk])
    assert (cadence.role, cadence.current_version().number) == ("first", 1)


def test_it_refuses_a_taken_name_on_the_new_page(client, mia, cadence):
    client.force_login(mia)
    response = client.post(reverse("nurture-cadence-new"), {"name": "Long-term"})
    assert response.status_code == 400
    assert "Cadence with this Name already exists." in response.content.decode()


def test_it_saves_the_steps_written_in_the_editor(client, mia):
    cadence = create_cadence("Fresh", by=mia)
    client.force_login(mia)
    response = client.post(reverse("nurture-cadence-edit", args=[cadence.pk]), editor_post(
        cadence, [EMAIL_FIELDS, WAIT_FIELDS, CALL_FIELDS, {**EMAIL_FIELDS, "delay_days": "2"}]))
    assert response["Location"] == reverse("nurture-cadence", args=[cadence.pk])
    email, wait, call, last = specs_of(cadence.current_version())
    assert (email.kind, email.variants) == (
        "auto_email", [("A", "Hello {{ lead.first_name }}", "Hi {{ lead.first_name }},", "")])
    assert (wait.kind, wait.delay_days, wait.variants) == ("wait", 3, [])
    assert (call.window_days, call.window_start, call.window_end, call.instructions) == (
        [0, 1, 2, 3, 4], time(9), time(12), "Ask about timing")
    assert (last.delay_days, CadenceVersion.objects.count()) == (2, 1)


def test_it_shows_a_template_error_by_its_field_and_saves_nothing(client, mia, cadence):
    before = specs_of(cadence.current_version())
    client.force_login(mia)
    wrong = {**EMAIL_FIELDS, "subject_B": "Hi {{ lead.favorite }}", "text_B": "Hi"}
    response = client.post(reverse("nurture-cadence-edit", args=[cadence.pk]),
                           editor_post(cadence, [EMAIL_FIELDS, wrong], name="Renamed"))
    html = response.content.decode()
    assert response.status_code == 400
    assert re.search(r'<p class="error" role="alert" id="id_step-1-subject_B-error">step 2, '
                     r"variant B, subject: line 1: unknown merge field lead.favorite", html)
    assert specs_of(cadence.current_version()) == before
    assert Cadence.objects.get().name == "Long-term"


def test_it_says_what_a_save_did_when_leads_are_in_the_old_version(client, mia, alice, cadence):
    enrollment(make_lead(owner=alice), cadence.current_version())
    client.force_login(mia)
    response = client.post(reverse("nurture-cadence-edit", args=[cadence.pk]),
                           editor_post(cadence, [EMAIL_FIELDS, CALL_FIELDS]), follow=True)
    assert "Saved as version 2; 1 enrolled lead finishes version 1." in (
        response.content.decode())


@pytest.mark.parametrize(("action", "kinds"), [
    ("add", ["auto_email", "wait", "call", "auto_email"]),
    ("up:1", ["wait", "auto_email", "call"]),
    ("down:0", ["wait", "auto_email", "call"]),
    ("remove:1", ["auto_email", "call"]),
])
def test_it_adds_moves_and_removes_steps_without_saving(client, mia, cadence, action, kinds):
    before = specs_of(cadence.current_version())
    client.force_login(mia)
    response = client.post(reverse("nurture-cadence-edit", args=[cadence.pk]), editor_post(
        cadence, [EMAIL_FIELDS, WAIT_FIELDS, CALL_FIELDS], action=action))
    html = response.content.decode()
    shown = re.findall(r'<select name="step-\d+-kind"[^>]*>.*?<option value="(\w+)"[^>]* selected',
                       html, re.S)
    assert (response.status_code, shown) == (200, kinds)
    assert f'name="step-count" value="{len(kinds)}"' in html
    assert specs_of(cadence.current_version()) == before


def test_it_shows_the_figures_and_the_ab_table(client, mia, figures):
    client.force_login(mia)
    html = client.get(reverse("nurture-cadence", args=[figures.cadence_id])).content.decode()
    step = re.search(r'<tr id="step-1">(.*?)</tr>', html, re.S).group(1)
    assert re.search(r'data-label="Opened:">2 <span class="muted small">66.7%</span>', step)
    variant_b = re.search(r'<tr data-step="1" data-variant="B">(.*?)</tr>', html, re.S).group(1)
    assert re.search(r'data-label="Replied:">1 <span class="muted small">50%</span>', variant_b)


def test_it_archives_and_brings_back_a_cadence(client, mia, cadence):
    client.force_login(mia)
    url = reverse("nurture-cadence-archive", args=[cadence.pk])
    client.post(url, {"archived": "1"})
    assert Cadence.objects.get().archived_at is not None
    client.post(url, {"archived": "0"})
    assert Cadence.objects.get().archived_at is None


# --- the preview ---------------------------------------------------------------------------


def preview(client, cadence, lead, step=1, variant="A"):
    return client.get(reverse("nurture-cadence-preview", args=[cadence.pk]),
                      {"lead": lead.pk, "step": step, "variant": variant})


def test_it_previews_a_step_with_the_lead_data_escaped(client, mia, alice):
    cadence = create_cadence("Escaping", by=mia)
    save_steps(cadence, [email_step(html="<p>Dear {{ lead.first_name }}</p>")], by=mia)
    lead = make_lead(owner=alice, first_name='<script>alert("x")</script>')
    client.force_login(alice)
    html = preview(client, cadence, lead).content.decode()
    assert "<script>alert" not in html
    assert 'id="rendered-subject">Hello &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;<' in html
    # The HTML body, escaped once by the email's template and once as an attribute.
    assert ('srcdoc="&lt;p&gt;Dear &amp;lt;script&amp;gt;alert(&amp;#34;x&amp;#34;)'
            "&amp;lt;/script&amp;gt;&lt;/p&gt;\"") in html
    assert 'sandbox=""' in html


def test_it_refuses_a_preview_for_a_lead_the_user_cannot_see(client, alice, charlie, cadence):
    client.force_login(charlie)
    assert preview(client, cadence, make_lead(owner=alice)).status_code == 404


def test_it_previews_a_call_task_for_a_teammates_lead(client, bob, alice, cadence):
    client.force_login(bob)
    html = preview(client, cadence, make_lead(owner=alice, first_name="Grace"), step=3)
    assert 'id="rendered-subject">Call Grace<' in html.content.decode()


# --- the lead page's panel -----------------------------------------------------------------


def test_it_shows_where_the_lead_is_in_its_cadence(client, alice, cadence):
    lead = make_lead(owner=alice)
    due = timezone.now() + timedelta(days=2, hours=1)
    enrollment(lead, cadence.current_version(), position=2, next_due_at=due)
    client.force_login(alice)
    html = client.get(reverse("lead", args=[lead.pk])).content.decode()
    now = re.search(r'<dd id="nurture-now">(.*?)</dd>', html, re.S).group(1)
    assert now.startswith("Step 3 of 4: Call task, due <time datetime=")
    assert "2\xa0days from now" in now
    assert "Long-term <span class=\"muted\">· version 1 · nurture cycle 1</span>" in html
    assert 'id="nurture-stop"' in html


def test_it_shows_a_resting_lead_and_its_earlier_cadences(client, alice, cadence):
    lead = make_lead(owner=alice)
    version = cadence.current_version()
    ago = timezone.now() - timedelta(days=90)
    enrollment(lead, version, status="exited", exit_reason="replied", started_at=ago,
               ended_at=ago + timedelta(days=20))
    enrollment(lead, version, number=2, status="resting", position=4,
               rest_until=timezone.now() + timedelta(days=30))
    client.force_login(alice)
    html = client.get(reverse("lead", args=[lead.pk])).content.decode()
    assert re.search(r'<dd id="nurture-now">Resting until <time', html)
    history = re.search(r'<table id="nurture-history".*?</table>', html, re.S).group(0)
    assert "Replied" in history and history.count("<tr>") == 2  # the header and one row


def test_it_offers_to_enroll_a_lead_in_a_cadence_with_steps(client, alice, mia, cadence):
    create_cadence("Empty", by=mia)
    lead = make_lead(owner=alice)
    client.force_login(alice)
    html = client.get(reverse("lead", args=[lead.pk])).content.decode()
    options = re.findall(r'<option value="\d+"[^>]*>([^<]*)</option>',
                         re.search(r'<form[^>]*id="nurture-enroll".*?</form>', html, re.S).group(0))
    assert options == ["Long-term"]


def test_it_refuses_the_panel_buttons_to_outsiders(client, alice, charlie, sam, cadence):
    lead = make_lead(owner=alice)
    client.force_login(charlie)
    assert client.post(reverse("nurture-stop", args=[lead.pk])).status_code == 404
    assert client.post(reverse("nurture-enroll", args=[lead.pk]),
                       {"cadence": cadence.pk}).status_code == 404
    client.force_login(sam)
    assert client.post(reverse("nurture-stop", args=[lead.pk])).status_code == 403
    assert not Enrollment.objects.exists()


def test_it_enrolls_a_lead_from_its_page(client, alice, cadence):
    lead = make_lead(owner=alice)
    client.force_login(alice)
    response = client.post(reverse("nurture-enroll", args=[lead.pk]), {"cadence": cadence.pk},
                           follow=True)
    enrolled = Enrollment.objects.get(lead=lead)
    lead.refresh_from_db()
    assert (enrolled.status, enrolled.trigger, enrolled.enrolled_by, lead.stage) == (
        "active", "manual", alice, "nurture")
    assert "Enrolled in Long-term (version 1)." in response.content.decode()


def test_it_says_why_a_lead_was_not_enrolled(client, alice, mia):
    empty = create_cadence("Empty", by=mia)
    lead = make_lead(owner=alice)
    client.force_login(alice)
    response = client.post(reverse("nurture-enroll", args=[lead.pk]), {"cadence": empty.pk},
                           follow=True)
    assert "Not enrolled: Empty has no steps yet" in response.content.decode()
    assert not Enrollment.objects.exists()


def test_it_stops_nurture_from_the_lead_page(client, alice, cadence):
    lead = make_lead(owner=alice)
    client.force_login(alice)
    client.post(reverse("nurture-enroll", args=[lead.pk]), {"cadence": cadence.pk})
    response = client.post(reverse("nurture-stop", args=[lead.pk]), follow=True)
    enrolled = Enrollment.objects.get(lead=lead)
    lead.refresh_from_db()
    assert (enrolled.status, enrolled.exit_reason, lead.stage) == ("exited", "manual", "working")
    assert "Nurture stopped: the lead is back on the desk." in response.content.decode()
    assert Step.objects.filter(version__cadence=cadence).count() == 4

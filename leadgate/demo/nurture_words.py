"""The words of the demo's three cadences, as marketing would write them:
each step's kind, send window and variants (label, subject, text, HTML)."""

from __future__ import annotations

from datetime import time
from typing import TypedDict

from leadgate.nurture import cadences
from leadgate.nurture.models import Cadence, Step


class Window(TypedDict):
    window_days: list[int]
    window_start: time
    window_end: time


# Emails go out Tuesday to Thursday mornings, tasks in office hours (the lead's time).
EMAIL_WINDOW = Window(window_days=[1, 2, 3], window_start=time(9), window_end=time(11, 30))
TASK_WINDOW = Window(window_days=[0, 1, 2, 3, 4], window_start=time(10), window_end=time(16))
SIGN = "{{ owner.full_name }}\n{{ company.name }}"
HTML_SIGN = "<p>{{ owner.full_name }}<br>{{ company.name }}</p>"


def _email(subject: str, lines: list[str], link: tuple[str, str], label: str = "A"
           ) -> tuple[str, str, str, str]:
    """A variant (label, subject, text, HTML) from its paragraphs and one link."""
    words, url = link
    text = "\n\n".join([*lines, f"{words}: {url}", f"Best regards,\n{SIGN}"])
    html = "".join(f"<p>{line}</p>" for line in lines)
    html += f'<p><a href="{url}">{words}</a></p><p>Best regards,</p>{HTML_SIGN}'
    return label, subject, text, html


def _task(title: str) -> tuple[str, str, str, str]:
    return "A", title, "", ""


HELLO = "Hi {{ lead.first_name }},"
FIRST_CYCLE = [
    cadences.StepSpec(kind=Step.Kind.AUTO_EMAIL, **EMAIL_WINDOW, variants=[_email(
        "{{ lead.first_name }}, a guide for when the timing is right", [
            HELLO,
            "Thanks for your time recently. I understand a project at {{ account.name }} "
            "is not on the table right now, so no pressure from us.",
            "In the meantime, here is the guide our customers use to plan their lead "
            "follow-up: what to measure, how fast to answer, and where leads get lost."],
        ("Read the speed-to-lead guide", "https://leadgate.example/guides/speed-to-lead"))]),
    cadences.StepSpec(kind=Step.Kind.WAIT, delay_days=3),
    cadences.StepSpec(
        kind=Step.Kind.CALL, delay_days=2, **TASK_WINDOW,
        instructions="Ask whether the guide was useful and whether the timing changed. "
                     "A meeting booked brings the lead back to the desk.",
        variants=[_task("Call {{ lead.first_name }} at {{ account.name }}: did the guide help?")]),
    cadences.StepSpec(kind=Step.Kind.AUTO_EMAIL, delay_days=5, **EMAIL_WINDOW, variants=[
        _email("How teams like {{ account.name }} answer every lead within 5 minutes", [
            HELLO,
            "The odds of qualifying a web lead drop about 21 times between a 5-minute and "
            "a 30-minute answer. Most teams we meet answer in hours, not minutes.",
            "We wrote down what the fastest teams do differently, from routing to the "
            "first call, in a two-page checklist."],
            ("Get the checklist", "https://leadgate.example/checklists/first-five-minutes")),
        _email("{{ lead.first_name }}, 3 numbers worth tracking this quarter", [
            HELLO,
            "Cost per lead says little. Cost per qualified lead, speed to lead and "
            "follow-up coverage say where the pipeline of {{ account.name }} leaks.",
            "Here is how to measure all three from the data you already have."],
            ("See the three numbers", "https://leadgate.example/blog/three-numbers"),
            label="B")]),
]
SECOND_CYCLE = [
    cadences.StepSpec(kind=Step.Kind.AUTO_EMAIL, **EMAIL_WINDOW, variants=[_email(
        "Case study: how a {{ account.industry|default('B2B', true)|lower }} team doubled "
        "its qualified leads", [
            HELLO,
            "Northwind Analytics had the same question {{ account.name }} has: more inbound "
            "leads than the team could follow up, and no idea which ones sales wanted.",
            "In six months they cut their answer time from 4 hours to 6 minutes and doubled "
            "the leads sales accepted. Their head of sales development tells how."],
        ("Read the case study", "https://leadgate.example/customers/northwind"))]),
    cadences.StepSpec(
        kind=Step.Kind.SOCIAL, delay_days=3, **TASK_WINDOW,
        instructions="Send a connection request with a short personal note; comment on a "
                     "recent post of theirs if there is one. Nothing salesy.",
        variants=[_task("Connect with {{ lead.first_name }} {{ lead.last_name }} on LinkedIn")]),
    cadences.StepSpec(kind=Step.Kind.AUTO_EMAIL, delay_days=7, **EMAIL_WINDOW, variants=[
        _email("Webinar: qualifying leads your sales team will accept", [
            HELLO,
            "Next month {{ owner.first_name }} and two of our customers go through their "
            "qualification playbook live: the questions, the handoff, and what sales sends "
            "back.",
            "It lasts 30 minutes, with time for questions, and the recording goes to everyone "
            "who signs up."],
            ("Save your seat", "https://leadgate.example/webinars/qualified-handoff")),
        _email("{{ lead.first_name }}, join us live: from inquiry to qualified in 30 minutes", [
            HELLO,
            "Would a half hour with teams like {{ account.name }} be useful? We are hosting "
            "a live session on qualifying leads sales will accept, with real examples.",
            "Sign up even if you cannot make it: we send the recording."],
            ("Sign up for the webinar", "https://leadgate.example/webinars/qualified-handoff"),
            label="B")]),
]
QUARTERLY = [
    cadences.StepSpec(kind=Step.Kind.AUTO_EMAIL, **EMAIL_WINDOW, variants=[_email(
        "Quick check-in from {{ owner.first_name }}", [
            HELLO,
            "It has been a few months since we last spoke, so a short note: has anything "
            "changed at {{ account.name }} on lead follow-up?",
            "If it is back on the agenda, reply to this email and I will set up a 20-minute "
            "call. If not, no problem: I will check in again next quarter."],
        ("What is new in Leadgate", "https://leadgate.example/whats-new"))]),
]
FIRST = "Long-term: first cycle"
# Made in this order: a cadence's next track exists before it.
CADENCES = [
    ("Quarterly check-in", "One email a quarter once the long-term cycles are spent.",
     Cadence.Role.QUARTERLY, None, QUARTERLY),
    ("Long-term: second cycle", "Proof and an invitation: a case study, a LinkedIn touch, "
     "the webinar.", "", None, SECOND_CYCLE),
    (FIRST, "Every new long-term lead: a guide, a call, a checklist.",
     Cadence.Role.FIRST, "Long-term: second cycle", FIRST_CYCLE),
]

"""Plain factory functions for tests: each makes one real row with sane defaults."""

import itertools
from datetime import timedelta

from django.contrib.auth.models import Group
from django.utils import timezone

from leadgate.handoff.flow import send
from leadgate.intake.models import Campaign, Inquiry, Source
from leadgate.leads.models import Account, Handoff, Lead, StageChange, Team, User, create_lead
from leadgate.lib.business_hours import DAY_NAMES
from leadgate.routing.hours_grid import spec_to_week
from leadgate.workspace.touches import log_touch

PASSWORD = "correct-horse-battery"  # noqa: S105 - test users only
_counter = itertools.count(1)


def make_team(name: str = "") -> Team:
    return Team.objects.get_or_create(name=name or f"Team {next(_counter)}")[0]


def make_user(username: str, role: str = "qualifier", team: Team | None = None) -> User:
    user = User.objects.create_user(
        username=username, email=f"{username}@example.com", password=PASSWORD, team=team
    )
    user.groups.add(Group.objects.get(name=role))
    return user


def join_team(user: User, name: str) -> Team:
    """Put an existing user in the team of this name (made if need be)."""
    user.team = make_team(name)
    user.save(update_fields=["team"])
    return user.team


def hours_grid_data(spec: dict[str, str]) -> dict[str, str]:
    """What the weekly hours grid of the routing pages posts for these hours
    (a business-hours spec): "on" for each open day, its spans' times."""
    data = {}
    for name, spans in zip(DAY_NAMES, spec_to_week(spec), strict=True):
        if spans:
            data[f"{name}_open"] = "on"
        for number, (opens, closes) in enumerate(spans, start=1):
            data[f"{name}_opens_{number}"] = opens.strftime("%H:%M")
            data[f"{name}_closes_{number}"] = closes.strftime("%H:%M")
    return data


def make_source(name: str = "") -> Source:
    return Source.objects.create(name=name or f"Source {next(_counter)}", kind="web")


def make_campaign(source: Source | None = None, name: str = "") -> Campaign:
    return Campaign.objects.create(
        name=name or f"Campaign {next(_counter)}", source=source or make_source()
    )


def make_account(name: str = "Acme", domain: str = "") -> Account:
    return Account.objects.create(name=name, domain=domain or f"acme{next(_counter)}.example")


def make_lead(owner: User | None = None, **fields) -> Lead:
    n = next(_counter)
    fields.setdefault("first_name", "Ada")
    fields.setdefault("last_name", f"Lovelace{n}")
    fields.setdefault("email", f"ada{n}@analytical.example")
    if owner is not None:
        fields.setdefault("team", owner.team)
    lead = create_lead(owner=owner, **fields)
    Inquiry.objects.create(lead=lead, channel="form", payload={"email": lead.email})
    return lead


MET_BANT = {
    "need": {"value": "month-end close takes a week", "met": True},
    "authority": {"value": "decision maker", "met": True},
    "timeframe": {"value": "this quarter", "met": True},
    "budget": {"value": "50k approved", "met": True},
}


def qualify_sales_ready(lead: Lead, by: User) -> None:
    """A connected call with the sales-ready verdict and every BANT answer met
    (a lead at inquiry or mql becomes working with it)."""
    log_touch(lead, by, channel="call", disposition="connected", verdict="sales_ready",
              answers=MET_BANT)
    lead.refresh_from_db()


def hand_off(lead: Lead, by: User, to_user: User) -> Handoff:
    """The only way to `qualified`: a sales-ready verdict, then the handoff."""
    qualify_sales_ready(lead, by)
    handoff = send(lead, by=by, to_user=to_user, dossier=None)
    lead.refresh_from_db()
    return handoff


def make_outcome_history(open_stage: str = "working") -> list[Lead]:
    """230 leads over 300 days: 200 closed (webinar leads with a real title
    mostly accepted, the rest mostly disqualified) and 30 still open."""
    sources = [make_source("Webinar"), make_source("Purchased list")]
    start = timezone.now() - timedelta(days=300)
    leads = Lead.objects.bulk_create(
        Lead(email=f"l{i}@example.com", source=sources[i % 2], country="FR",
             title="Head of Sales" if i % 3 else "Student",
             created_at=start + timedelta(days=i),
             stage=("accepted" if (i % 2 == 0) == (i % 5 != 0) else "disqualified")
             if i < 200 else open_stage)
        for i in range(230)
    )
    StageChange.objects.bulk_create(StageChange(lead=lead, cycle=1, to_stage=lead.stage)
                                    for lead in leads if lead.stage == "accepted")
    return leads

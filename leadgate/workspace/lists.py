"""Lead lists: the leads a viewer may open (Lead.objects.visible_to), filtered,
sorted and paginated, and the saved views that keep a list's filters under a
name (workspace.models.SavedView).

Fast on a big table: the sorts on the lead's own columns are served by an
index of Lead (see SORTS), filters on the lead's own columns or an
EXISTS on an indexed child table (touches by lead and time, open tasks by
lead and due time), and the count behind the pages stops at COUNT_CAP
("10,000+"): a COUNT over a LIMITed subquery. The last touch and the next
step due are read for the page's rows only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import cached_property
from typing import Any

from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import Exists, F, Max, Min, OuterRef, Q, Subquery
from django.http import QueryDict
from django.utils import timezone

from leadgate.intake.models import Campaign, Source
from leadgate.leads.lifecycle import Role, Stage
from leadgate.leads.models import Lead, LeadQuerySet, Task, Team, Touch, User
from leadgate.lib.score_rank import GRADES, UNSCORED

from .models import SavedView

PER_PAGE = 50
COUNT_CAP = 10_000
NOBODY = "none"

# The sort a column asks for (pk last: a stable order). The lead's own
# columns have an index each (named beside them); a person, team, source or
# campaign sorts by its name (a join: leads without one come last either way);
# the last touch and the next step due by a subquery per lead, which stays
# quick on a filtered list and costs a pass over the leads on an unfiltered
# one (see docs/benchmarks.md, "Lead lists").
SORTS: dict[str, tuple[str, ...]] = {
    "created": ("created_at", "pk"),  # lead_created
    "name": ("last_name", "first_name", "pk"),  # lead_last_name
    "stage": ("stage", "created_at", "pk"),  # lead_stage_created
    "grade": ("score_rank", "created_at", "pk"),  # lead_rank_created
    "country": ("country", "created_at", "pk"),  # lead_country_created
    "owner": ("owner__first_name", "owner__last_name", "owner__username", "pk"),
    "team": ("team__name", "pk"),
    "source": ("source__name", "campaign__name", "pk"),
    "touched": ("last_touch_at", "pk"),
    "due": ("next_due_at", "pk"),
}
# Joined or computed: nothing (no owner, never touched) comes last both ways.
NULLABLE = {"owner__first_name", "owner__last_name", "owner__username", "team__name",
            "source__name", "campaign__name", "last_touch_at", "next_due_at"}
SORT_CHOICES = [(key, key) for key in SORTS] + [(f"-{key}", f"-{key}") for key in SORTS]
DEFAULT_SORT = "-created"

FIT_GRADES = [("A", "A (best fit)"), ("B", "B"), ("C", "C"), ("D", "D"),
              (NOBODY, "not scored")]
TOUCHED = [("", "any time"), ("7", "in the last 7 days"), ("30", "in the last 30 days"),
           ("stale7", "not in the last 7 days"), ("stale30", "not in the last 30 days"),
           ("never", "never")]
DUE = [("", "any"), ("overdue", "overdue"), ("today", "due today"),
       ("week", "in the next 7 days"), (NOBODY, "no next step")]
# The parameters a saved view keeps (not the page, nor the view itself).
KEPT = ("stage", "owner", "team", "source", "campaign", "grade", "country", "created_from",
        "created_to", "touched", "due", "sort")


def person(user: User | None) -> str:
    if user is None:
        return "nobody"
    return user.get_full_name() or user.username


def qualifiers() -> list[User]:
    return list(User.objects.filter(is_active=True, groups__name=Role.QUALIFIER)
                .select_related("team").order_by("first_name", "last_name", "username"))


class ListFilters(forms.Form):
    """The list's query string, validated: a wrong value names its field."""

    stage = forms.MultipleChoiceField(choices=Stage.choices, required=False)
    owner = forms.ChoiceField(required=False)
    team = forms.ChoiceField(required=False)
    source = forms.ModelChoiceField(Source.objects.order_by("name"), required=False,
                                    empty_label="any")
    campaign = forms.ModelChoiceField(Campaign.objects.order_by("name"), required=False,
                                      empty_label="any")
    grade = forms.ChoiceField(choices=[("", "any"), *FIT_GRADES], required=False,
                              label="Fit grade")
    country = forms.CharField(required=False, widget=forms.TextInput(
        attrs={"placeholder": "DE", "size": 3, "maxlength": 2}))
    created_from = forms.DateField(required=False, label="Created from",
                                   widget=forms.DateInput(attrs={"type": "date"}))
    created_to = forms.DateField(required=False, label="Created to",
                                 widget=forms.DateInput(attrs={"type": "date"}))
    touched = forms.ChoiceField(choices=TOUCHED, required=False, label="Last touch")
    due = forms.ChoiceField(choices=DUE, required=False, label="Next step due")
    sort = forms.ChoiceField(choices=SORT_CHOICES, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner, team = self.fields["owner"], self.fields["team"]
        assert isinstance(owner, forms.ChoiceField) and isinstance(team, forms.ChoiceField)
        owner.choices = [("", "anyone"), (NOBODY, "nobody")] + [
            (str(user.pk), person(user)) for user in qualifiers()]
        team.choices = [("", "any"), (NOBODY, "no team")] + [
            (str(each.pk), each.name) for each in Team.objects.order_by("name")]

    def clean_country(self) -> str:
        country = self.cleaned_data["country"].strip().upper()[:40]
        if country and not (len(country) == 2 and country.isalpha()):
            raise forms.ValidationError("two letters, such as DE")
        return country


def as_query(filters: dict) -> QueryDict:
    """A saved view's filters ({name: [values]}) as a query string's data."""
    data = QueryDict(mutable=True)
    for key, value in filters.items():
        data.setlist(key, [str(each) for each in (value if isinstance(value, list) else [value])])
    return data


def filters_of(params: QueryDict) -> ListFilters:
    """The form for `params` (a request's GET, or a saved view's as_query())."""
    return ListFilters(params)


def kept(params: QueryDict) -> dict[str, list[str]]:
    """What a saved view keeps of the query string."""
    return {key: [value for value in params.getlist(key) if value]
            for key in KEPT if any(params.getlist(key))}


def _day_start(day: Any) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def filtered(user: User, data: dict[str, Any], *, now: datetime | None = None) -> LeadQuerySet:
    """The leads `user` may open that pass the cleaned filters, in their order."""
    now = now or timezone.now()
    leads = Lead.objects.visible_to(user)
    if data.get("stage"):
        leads = leads.filter(stage__in=data["stage"])
    for field in ("owner", "team"):
        value = data.get(field)
        if value == NOBODY:
            leads = leads.filter(**{f"{field}__isnull": True})
        elif value:
            leads = leads.filter(**{f"{field}_id": int(value)})
    for field in ("source", "campaign"):
        if data.get(field) is not None:
            leads = leads.filter(**{field: data[field]})
    grade = data.get("grade")
    if grade == NOBODY:
        leads = leads.filter(score_rank=UNSCORED)
    elif grade:
        # score_rank orders A1..D4 by hundreds: a fit letter is a range of four.
        first = "ABCD".index(grade) * 400
        leads = leads.filter(score_rank__gte=first, score_rank__lt=first + 400)
    if data.get("country"):
        leads = leads.filter(country=data["country"])
    if data.get("created_from"):
        leads = leads.filter(created_at__gte=_day_start(data["created_from"]))
    if data.get("created_to"):
        leads = leads.filter(created_at__lt=_day_start(data["created_to"] + timedelta(days=1)))
    touched = data.get("touched")
    if touched:
        touches = Touch.objects.filter(lead=OuterRef("pk"))
        if touched == "never":
            leads = leads.filter(~Exists(touches))
        else:
            days = int(touched.removeprefix("stale"))
            recent = Exists(touches.filter(at__gte=now - timedelta(days=days)))
            leads = leads.filter(~recent if touched.startswith("stale") else recent)
    due = data.get("due")
    if due:
        tasks = Task.objects.filter(lead=OuterRef("pk"), done_at__isnull=True)
        if due == NOBODY:
            leads = leads.filter(~Exists(tasks))
        elif due == "overdue":
            leads = leads.filter(Exists(tasks.filter(due_at__lt=now)))
        elif due == "today":
            today = _day_start(timezone.localdate(now))
            leads = leads.filter(Exists(tasks.filter(due_at__gte=today,
                                                     due_at__lt=today + timedelta(days=1))))
        else:
            leads = leads.filter(Exists(tasks.filter(due_at__gte=now,
                                                     due_at__lt=now + timedelta(days=7))))
    return sorted_by(leads, data.get("sort") or DEFAULT_SORT)


def sorted_by(leads: LeadQuerySet, sort: str) -> LeadQuerySet:
    key = sort.lstrip("-")
    descending = sort.startswith("-")
    if key == "touched":
        leads = leads.alias(last_touch_at=Subquery(
            Touch.objects.filter(lead=OuterRef("pk")).order_by("-at").values("at")[:1]))
    elif key == "due":
        leads = leads.alias(next_due_at=Subquery(
            Task.objects.filter(lead=OuterRef("pk"), done_at__isnull=True)
            .order_by("due_at").values("due_at")[:1]))
    order = []
    for field in SORTS[key]:
        expression = F(field)
        if field in NULLABLE:
            order.append(expression.desc(nulls_last=True) if descending
                         else expression.asc(nulls_last=True))
        else:
            order.append(expression.desc() if descending else expression.asc())
    return leads.order_by(*order)


class CappedPaginator(Paginator):
    """Counts up to COUNT_CAP + 1 rows and no further: a big list's pages stay
    fast (the last pages of more than COUNT_CAP leads are reached by
    narrowing the filters or turning the sort)."""

    @cached_property
    def count(self) -> int:  # type: ignore[override]
        leads: LeadQuerySet = self.object_list  # type: ignore[assignment]
        return leads.order_by()[: COUNT_CAP + 1].count()

    @property
    def more(self) -> bool:
        return self.count > COUNT_CAP


@dataclass
class Row:
    lead: Lead
    grade: str
    last_touch: datetime | None
    next_due: datetime | None


def page_of(leads: LeadQuerySet, number: int | str) -> tuple[Page, list[Row]]:
    """The page `number` of `leads`, and its rows with their grade, last touch
    and next step due (read for these rows only)."""
    paginator = CappedPaginator(
        leads.select_related("owner", "team", "source", "campaign", "account"), PER_PAGE)
    page = paginator.get_page(number)
    found = list(page.object_list)
    ids = [lead.pk for lead in found]
    touched = dict(Touch.objects.filter(lead_id__in=ids).values("lead_id")
                   .annotate(last=Max("at")).values_list("lead_id", "last"))
    due = dict(Task.objects.filter(lead_id__in=ids, done_at__isnull=True).values("lead_id")
               .annotate(first=Min("due_at")).values_list("lead_id", "first"))
    rows = [Row(lead, grade_of(lead.score_rank), touched.get(lead.pk), due.get(lead.pk))
            for lead in found]
    return page, rows


def grade_of(rank: int) -> str:
    index = rank // 100
    return GRADES[index] if rank != UNSCORED and index < len(GRADES) else ""


# Saved views ---------------------------------------------------------------------------


def may_share(user: User) -> bool:
    return user.has_role(Role.MANAGER, Role.ADMIN)


def views_for(user: User) -> list[SavedView]:
    """The user's own views and those shared with their team."""
    scope = Q(owner=user)
    if user.team_id:
        scope |= Q(team_id=user.team_id)
    return list(SavedView.objects.filter(scope).select_related("owner", "team"))


def view_for(user: User, pk: int) -> SavedView | None:
    return next((view for view in views_for(user) if view.pk == pk), None)


def save_view(user: User, name: str, filters: dict, *, team: Team | None = None) -> SavedView:
    """Keep `filters` under `name` for `user` (the same name again replaces
    its filters); `team` shares it (managers and admins only: ValueError)."""
    name = name.strip()[:80]
    if not name:
        raise ValueError("name: give the view a name")
    if team is not None and not may_share(user):
        raise ValueError("team: only managers share views with a team")
    view, _ = SavedView.objects.update_or_create(
        owner=user, name=name, defaults={"filters": filters, "team": team})
    return view

"""Merge fields in the words of a nurture step (subject, text, HTML, task
notes), written by marketing and managers: Jinja syntax in a sandbox.

Only the documented fields exist (FIELDS): a template is checked when it is
saved (`problems()`: each unknown field named, a syntax error with its line),
and rendered with a context of plain strings (`context_for()`), never model
objects, so even a template that slipped past the check reaches nothing else.
Jinja's SandboxedEnvironment refuses attribute tricks on what is there, and
StrictUndefined fails a render rather than send "Dear ," to a lead. In HTML
bodies every value is escaped (autoescape): lead data is untrusted.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.conf import settings
from jinja2 import StrictUndefined, Template, TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

# The merge fields, by object, with what each holds (shown to template authors).
FIELDS: dict[str, dict[str, str]] = {
    "lead": {
        "first_name": "first name", "last_name": "last name",
        "full_name": "first and last name", "email": "email address", "title": "job title",
        "company": "company name", "phone": "phone number", "country": "country code",
    },
    "account": {
        "name": "company name", "industry": "industry", "city": "city",
        "country": "country code", "website": "website", "employees": "employees",
    },
    "owner": {
        "first_name": "first name of the lead's qualifier", "last_name": "last name",
        "full_name": "first and last name", "email": "email address",
    },
    "company": {"name": "our company's name (LEADGATE_COMPANY_NAME)"},
}
FILTERS = ("default", "upper", "lower", "title", "capitalize", "trim", "truncate")
# The statements and expressions a template may use: output, if/else, and
# comparisons of fields with constants. No loops, calls, macros or includes.
ALLOWED_NODES = (nodes.Template, nodes.Output, nodes.TemplateData, nodes.Name, nodes.Getattr,
                 nodes.Filter, nodes.Const, nodes.If, nodes.Compare, nodes.Operand, nodes.Not,
                 nodes.And, nodes.Or, nodes.Concat)


class TemplateProblem(ValueError):
    """A template that cannot be saved or rendered; the message says why."""


@lru_cache(maxsize=2)
def environment(html: bool) -> SandboxedEnvironment:
    env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=html,
                               keep_trailing_newline=True)
    env.filters = {name: env.filters[name] for name in FILTERS}
    env.globals = {}
    return env


def fields_help() -> list[str]:
    """Every merge field as written in a template, for the editor's help."""
    return [f"{{{{ {obj}.{name} }}}}" for obj, names in FIELDS.items() for name in names]


def _walk(node: nodes.Node) -> Iterator[nodes.Node]:
    yield node
    for child in node.iter_child_nodes():
        yield from _walk(child)


def problems(text: str) -> list[str]:
    """What is wrong with a template, each in words naming the field or line;
    empty when it may be saved."""
    env = environment(False)
    try:
        tree = env.parse(text or "")
    except TemplateSyntaxError as error:
        return [f"line {error.lineno}: {error.message}"]
    found: list[str] = []
    for node in _walk(tree):
        if not isinstance(node, ALLOWED_NODES):
            found.append(f"line {node.lineno}: {type(node).__name__.lower()} is not allowed "
                         "(fields, filters and if/else only)")
        elif isinstance(node, nodes.Filter) and node.name not in FILTERS:
            found.append(f"line {node.lineno}: unknown filter {node.name!r}; "
                         f"filters: {', '.join(FILTERS)}")
        elif isinstance(node, nodes.Getattr):
            if not isinstance(node.node, nodes.Name):
                found.append(f"line {node.lineno}: unknown merge field .{node.attr}")
            elif node.node.name in FIELDS and node.attr not in FIELDS[node.node.name]:
                found.append(f"line {node.lineno}: unknown merge field "
                             f"{node.node.name}.{node.attr}; {node.node.name} has "
                             f"{', '.join(FIELDS[node.node.name])}")
        elif isinstance(node, nodes.Name) and node.name not in FIELDS:
            found.append(f"line {node.lineno}: unknown merge field {node.name}; "
                         f"fields are {', '.join(f'{obj}.*' for obj in FIELDS)}")
    return list(dict.fromkeys(found))


def render(text: str, context: Mapping[str, Mapping[str, str]], *, html: bool = False) -> str:
    """The template filled in; TemplateProblem when it cannot be (a field
    missing from the context, a template saved before a check existed)."""
    try:
        return _compiled(text or "", html).render(**context)
    except (UndefinedError, SecurityError, TypeError) as error:
        raise TemplateProblem(str(error)) from error


@lru_cache(maxsize=512)
def _compiled(text: str, html: bool) -> Template:
    """The template checked and compiled once per process: a sweep fills in
    the same few templates for thousands of leads, and compiling is most of
    the cost of filling one in."""
    wrong = problems(text)
    if wrong:
        raise TemplateProblem("; ".join(wrong))
    try:
        return environment(html).from_string(text)
    except TemplateSyntaxError as error:
        raise TemplateProblem(str(error)) from error


@dataclass(frozen=True)
class Person:
    first_name: str = ""
    last_name: str = ""
    email: str = ""

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def context_for(lead: Any) -> dict[str, dict[str, str]]:
    """The documented fields of `lead` (with its account and owner, loaded or
    not) as plain strings; blank where unknown."""
    account, owner = lead.account, lead.owner
    person = Person(_text(lead.first_name), _text(lead.last_name), _text(lead.email))
    qualifier = Person(_text(getattr(owner, "first_name", "")),
                       _text(getattr(owner, "last_name", "")),
                       _text(getattr(owner, "email", "")))
    return {
        "lead": {"first_name": person.first_name, "last_name": person.last_name,
                 "full_name": person.full_name, "email": person.email,
                 "title": _text(lead.title),
                 "company": _text(lead.company_name or getattr(account, "name", "")),
                 "phone": _text(lead.phone), "country": _text(lead.country)},
        "account": {name: _text(getattr(account, name, "")) for name in FIELDS["account"]},
        "owner": {"first_name": qualifier.first_name, "last_name": qualifier.last_name,
                  "full_name": qualifier.full_name, "email": qualifier.email},
        "company": {"name": settings.LEADGATE_COMPANY_NAME},
    }

"""The fields intake understands, their aliases, and turning a raw submission
into clean lead data (or an error naming the field).

Every channel (form, API, import) goes through `parse()`. Whatever else a
submission carries is not an error: it stays in the inquiry's payload.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings

from leadgate.lib.countries import country_code
from leadgate.lib.normalize import (
    clean_text,
    company_domain,
    normalize_email,
    normalize_name,
    normalize_phone,
    phone_region,
    registrable_domain,
    split_full_name,
)

from .headers import WORDS, alias_table, header_key, lookup

# header_key is read here by other importers (CRM outcomes): one reading of headers.
__all__ = ["ALIASES", "FIELDS", "IntakeError", "LeadData", "guess_field", "header_key",
           "parse", "resolve_names"]


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    max_length: int
    aliases: tuple[str, ...] = ()


# Lengths match the Lead columns, so a value that passes here always fits.
FIELDS: dict[str, FieldSpec] = {
    spec.name: spec
    for spec in [
        FieldSpec("email", "Email", 254, ("e-mail", "email address", "e-mail address",
                                          "work email", "business email", "mail",
                                          "contact email")),
        FieldSpec("phone", "Phone", 40, ("phone number", "telephone", "tel", "mobile",
                                         "mobile phone", "cell", "work phone",
                                         "business phone", "contact phone")),
        FieldSpec("first_name", "First name", 100, ("firstname", "first", "given name",
                                                    "forename")),
        FieldSpec("last_name", "Last name", 100, ("lastname", "last", "surname",
                                                  "family name")),
        FieldSpec("name", "Full name", 200, ("full name", "fullname", "contact name",
                                             "contact", "your name")),
        FieldSpec("title", "Job title", 200, ("job title", "jobtitle", "position", "role",
                                              "job", "function")),
        FieldSpec("company", "Company", 200, ("company name", "organization",
                                              "organisation", "organization name",
                                              "organisation name", "account", "account name",
                                              "employer", "firm", "business",
                                              "business name")),
        FieldSpec("website", "Website", 300, ("web site", "url", "company website",
                                              "domain", "homepage", "web")),
        FieldSpec("country", "Country", 100, ("country code", "nation", "country/region")),
        FieldSpec("message", "Message", 5000, ("comments", "comment", "notes", "note",
                                               "description", "how can we help")),
    ]
}


# header key -> field: the English aliases above and the European languages'.
ALIASES: dict[str, str] = alias_table({
    spec.name: (spec.name, spec.label, *spec.aliases, *WORDS.get(spec.name, ()))
    for spec in FIELDS.values()
})


def guess_field(header: str) -> str | None:
    """The intake field a column header (or a submitted key) means, or None."""
    return lookup(header, ALIASES)


def resolve_names(submitted: dict) -> dict:
    """A submission keyed by intake field names where a key is one of theirs
    ("E-mail" -> "email"; the first of two aliases wins); every other key is
    kept as sent."""
    payload: dict = {}
    for name, value in submitted.items():
        known = guess_field(str(name))
        if known and known not in payload:
            payload[known] = value
        elif name not in payload:
            payload[name] = value
    return payload


class IntakeError(ValueError):
    """A submission intake cannot take, with the field at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass
class LeadData:
    """A submission's lead fields, normalized, with what normalization found."""

    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    title: str = ""
    company_name: str = ""
    website: str = ""
    domain: str = ""
    country: str = ""
    email_invalid: bool = False
    email_free: bool = False
    email_role: bool = False
    phone_invalid: bool = False
    warnings: dict[str, str] = field(default_factory=dict)

    def lead_fields(self) -> dict[str, object]:
        values = dict(self.__dict__)
        values.pop("warnings")
        return values


def text_value(data: dict, name: str) -> str:
    """The submission's value for a field, cleaned, and checked against its length."""
    value = data.get(name)
    if isinstance(value, (dict, list)):
        raise IntakeError(name, "must be text, not a list or an object")
    text = clean_text(value)
    limit = FIELDS[name].max_length
    if len(text) > limit:
        raise IntakeError(name, f"is {len(text)} characters long; the limit is {limit}")
    return text


def parse(data: dict) -> LeadData:
    """Clean lead data from a submission keyed by intake field names (aliases
    already resolved), or IntakeError naming the first field at fault."""
    values = {name: text_value(data, name) for name in FIELDS}
    lead = LeadData()
    email = normalize_email(values["email"])
    country = country_code(values["country"])
    phone = normalize_phone(values["phone"], phone_region(
        country, email.domain, registrable_domain(values["website"]),
        default=settings.LEADGATE_DEFAULT_PHONE_REGION))
    if not email.value and not phone.value:
        raise IntakeError("email", "an email address or a phone number is required")
    if email.value and not email.valid and not phone.valid:
        raise IntakeError("email", f"{email.value!r} is not a valid address: {email.error}")
    if email.value and not email.valid:
        lead.warnings["email"] = email.error
    if phone.value and not phone.valid:
        lead.warnings["phone"] = phone.error
    lead.email, lead.email_invalid = email.value, bool(email.value) and not email.valid
    lead.email_free, lead.email_role = email.free, email.role
    lead.phone, lead.phone_invalid = phone.value, bool(phone.value) and not phone.valid

    lead.first_name = normalize_name(values["first_name"])
    lead.last_name = normalize_name(values["last_name"])
    if values["name"] and not (lead.first_name or lead.last_name):
        lead.first_name, lead.last_name = split_full_name(values["name"])
    lead.first_name, lead.last_name = lead.first_name[:100], lead.last_name[:100]
    lead.title = values["title"]
    lead.company_name = values["company"]
    lead.website = values["website"]
    lead.domain = company_domain(email, values["website"])
    if values["website"] and not registrable_domain(values["website"]):
        lead.warnings["website"] = "not a web address"
    lead.country = country or phone.country
    return lead

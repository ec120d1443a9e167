"""Which column holds which field: presets for known CRM exports (small
classes in a registry, by `kind`), guesses from the headers, and `--map`.

Explicit mapping wins over the preset, which wins over the guess. A column
mapped to nothing is kept in the inquiry's payload under its header.
"""

from __future__ import annotations

from leadgate.intake.fields import FIELDS, guess_field
from leadgate.intake.headers import WORDS, alias_table, header_key, lookup

# What an account import understands (`--as accounts`), with its headers in
# English; `headers.WORDS` adds the European languages', and `headers.lookup`
# the compound headers ("HeadquartersCity", "HQ State", "Revenue ($M)").
ACCOUNT_FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("company", "company name", "account", "account name", "organization",
             "organisation", "business", "business name", "firm", "name", *WORDS["company"],
             "nom", "nombre", "nome", "naam"),
    "website": ("url", "web site", "company website", "website url", "homepage", "web",
                *WORDS["website"]),
    "domain": ("company domain", "domain name", "email domain"),
    "email": ("e-mail", "email address", *WORDS["email"]),
    "industry": ("sector", "vertical", "industry name", *WORDS["industry"]),
    "employees": ("workers", "headcount", "number of employees", "no of employees",
                  "employee count", "company size", "staff", *WORDS["employees"]),
    "revenue": ("annual revenue", "revenue usd", "revenues", "turnover", "sales",
                *WORDS["revenue"]),
    "country": ("country code", "country/region", "headquarters", "hq country",
                "office location", "nation", *WORDS["country"]),
    "state": ("state/province", "state/region", "province", "region", "county",
              *WORDS["state"]),
    "city": ("town", "locality", *WORDS["city"]),
}
ACCOUNT_ALIASES = alias_table({name: (name, *aliases) for name, aliases in ACCOUNT_FIELDS.items()})
TARGETS = ("leads", "accounts")
# `--map "Column=-"`: the column is kept in the payload, never taken as a field.
UNMAPPED = ("-", "", "none", "ignore")


class MappingError(ValueError):
    """A mapping that cannot work: an unknown field or column, or nothing to match on."""


def target_fields(target: str) -> list[str]:
    return list(FIELDS) if target == "leads" else list(ACCOUNT_FIELDS)


def guess(header: str, target: str = "leads") -> str | None:
    if target == "accounts":
        return lookup(header, ACCOUNT_ALIASES)
    return guess_field(header)


class Preset:
    """A known export format: its column headers and the fields they hold."""

    kind = ""
    label = ""
    # header -> field, for lead imports and for account imports
    columns: dict[str, str] = {}
    account_columns: dict[str, str] = {}

    def field_for(self, header: str, target: str) -> str | None:
        table = self.columns if target == "leads" else self.account_columns
        keyed = {header_key(column): field for column, field in table.items()}
        return keyed.get(header_key(header))


class Salesforce(Preset):
    """A Salesforce Lead export (report or Data Loader, default labels)."""

    kind = "salesforce"
    label = "Salesforce leads"
    columns = {
        "First Name": "first_name", "Last Name": "last_name", "Full Name": "name",
        "Name": "name", "Title": "title", "Company": "company", "Company / Account": "company",
        "Email": "email", "Phone": "phone", "Mobile": "phone", "Mobile Phone": "phone",
        "Website": "website", "Country": "country", "Description": "message",
    }
    account_columns = {
        "Company": "name", "Company / Account": "name", "Website": "website",
        "Email": "email", "Industry": "industry", "No. of Employees": "employees",
        "Employees": "employees", "Annual Revenue": "revenue", "Country": "country",
        "State/Province": "state", "State": "state", "City": "city",
    }


class HubSpot(Preset):
    """A HubSpot contacts export."""

    kind = "hubspot"
    label = "HubSpot contacts"
    columns = {
        "First Name": "first_name", "Last Name": "last_name", "Email": "email",
        "Phone Number": "phone", "Mobile Phone Number": "phone", "Company Name": "company",
        "Job Title": "title", "Website URL": "website", "Country/Region": "country",
        "Message": "message",
    }
    account_columns = {
        "Company Name": "name", "Website URL": "website", "Company Domain Name": "domain",
        "Email": "email", "Industry": "industry", "Number of Employees": "employees",
        "Annual Revenue": "revenue", "Country/Region": "country", "State/Region": "state",
        "City": "city",
    }


REGISTRY: dict[str, type[Preset]] = {preset.kind: preset for preset in (Salesforce, HubSpot)}


def get_preset(kind: str) -> Preset | None:
    if not kind:
        return None
    try:
        return REGISTRY[kind.lower()]()
    except KeyError:
        raise MappingError(
            f"unknown preset {kind!r}; the presets are {', '.join(REGISTRY)}"
        ) from None


def parse_map_options(items: list[str]) -> dict[str, str]:
    """`["Column Name=field", ...]` -> {"Column Name": "field"}."""
    mapping = {}
    for item in items:
        column, sep, name = item.rpartition("=")
        if not sep or not column.strip():
            raise MappingError(f"--map {item!r}: write it as \"Column Name=field\"")
        mapping[column.strip()] = name.strip()
    return mapping


def build_mapping(headers: list[str], target: str = "leads", preset: str = "",
                  explicit: dict[str, str] | None = None) -> dict[str, str | None]:
    """Each header's field (or None: kept in the payload only)."""
    if target not in TARGETS:
        raise MappingError(f"unknown target {target!r}; import as one of {', '.join(TARGETS)}")
    chosen = get_preset(preset)
    fields = target_fields(target)
    explicit = dict(explicit or {})
    by_key = {header_key(header): header for header in headers}
    resolved: dict[str, str | None] = {}
    for column, name in explicit.items():
        header = column if column in headers else by_key.get(header_key(column))
        if header is None:
            raise MappingError(f"--map {column!r}: no such column; the columns are {headers}")
        if name.lower() in UNMAPPED:
            resolved[header] = None
        elif name in fields:
            resolved[header] = name
        else:
            raise MappingError(
                f"--map {column}={name}: unknown field {name!r}; the fields are "
                f"{', '.join(fields)}"
            )
    mapping: dict[str, str | None] = {}
    for header in headers:
        if header in resolved:
            mapping[header] = resolved[header]
        elif chosen and (preset_field := chosen.field_for(header, target)):
            mapping[header] = preset_field
        else:
            mapping[header] = guess(header, target)
    return mapping


def check_recognisable(mapping: dict[str, str | None], target: str) -> None:
    found = set(mapping.values())
    needed = {"email", "phone"} if target == "leads" else {"name", "website", "domain", "email"}
    if not found & needed:
        expects = (
            "a column of email addresses or phone numbers (such as 'Email' or 'Phone')"
            if target == "leads"
            else "a column of company names or websites (such as 'Company' or 'Website')"
        )
        raise MappingError(
            f"no recognisable columns: found {list(mapping)}; expected {expects}, "
            "or name them with --map \"Column Name=field\""
        )

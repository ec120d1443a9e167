"""Normalization of what people type into forms: emails, phones, names, domains.

One place, used by every intake channel (forms, API, imports), so the same
person looks the same whichever way they came in. Pure functions: no database.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

import phonenumbers
import tldextract
from email_validator import EmailNotValidError, validate_email

# Mailbox providers anyone can sign up to: their domain says nothing about the
# person's company, so it is never used to match an account.
FREE_MAIL_DOMAINS = frozenset(
    """
    gmail.com googlemail.com yahoo.com yahoo.co.uk yahoo.fr yahoo.de yahoo.es yahoo.it
    ymail.com rocketmail.com hotmail.com hotmail.co.uk hotmail.fr hotmail.de hotmail.it
    hotmail.es outlook.com outlook.fr outlook.de live.com live.fr live.co.uk msn.com
    aol.com aim.com icloud.com me.com mac.com mail.com gmx.com gmx.de gmx.net gmx.at gmx.ch
    web.de t-online.de freenet.de protonmail.com proton.me pm.me tutanota.com tuta.io
    zoho.com yandex.com yandex.ru mail.ru inbox.ru list.ru bk.ru rambler.ru qq.com 163.com
    126.com sina.com naver.com daum.net hanmail.net orange.fr wanadoo.fr free.fr laposte.net
    sfr.fr libero.it virgilio.it tiscali.it alice.it seznam.cz wp.pl o2.pl interia.pl
    onet.pl bol.com.br uol.com.br terra.com.br rediffmail.com fastmail.com hey.com
    comcast.net verizon.net att.net sbcglobal.net btinternet.com sky.com virginmedia.com
    bigpond.com shaw.ca rogers.com sympatico.ca telenet.be skynet.be ziggo.nl kpnmail.nl
    """.split()
)

# Sites people give instead of their company's website: never a company domain.
NON_COMPANY_DOMAINS = frozenset(
    """
    facebook.com fb.com linkedin.com twitter.com x.com instagram.com youtube.com
    tiktok.com pinterest.com medium.com github.com gitlab.com wordpress.com blogspot.com
    wixsite.com squarespace.com weebly.com godaddysites.com business.site sites.google.com
    google.com goo.gl bit.ly linktr.ee yelp.com
    """.split()
)

# Shared mailboxes: a person may read them, but they are not a person.
ROLE_LOCAL_PARTS = frozenset(
    """
    info contact sales hello hi admin administrator office support help service team
    marketing enquiries enquiry inquiries inquiry mail email webmaster postmaster
    hostmaster noreply no-reply donotreply do-not-reply billing accounts accounting
    finance hr jobs careers recruiting press media news newsletter orders shop
    it security privacy legal compliance abuse reception booking bookings events
    """.split()
)

# Particles that stay lower case inside a name typed in all capitals or all lower.
NAME_PARTICLES = frozenset(
    "van von der den de del della di da du dos das le la of y zu ten ter bin al".split()
)


@dataclass(frozen=True)
class Email:
    value: str  # lower-cased address, or "" when nothing was given
    valid: bool
    free: bool = False
    role: bool = False
    domain: str = ""  # the address's own ("mail.acme.com"; its company's: registrable_domain)
    error: str = ""


@dataclass(frozen=True)
class Phone:
    value: str  # E.164 when valid, else the text as given (trimmed)
    valid: bool
    country: str = ""  # ISO 3166-1 alpha-2 of the number's region
    error: str = ""


def clean_text(raw: object) -> str:
    """Trim, fold runs of white space, and drop control characters."""
    if raw is None:
        return ""
    text = str(raw)
    if text.isascii() and text.isprintable():
        # Most input: nothing to normalize or drop (imports spend their time here).
        return " ".join(text.split())
    text = unicodedata.normalize("NFC", text)
    text = "".join(ch for ch in text if ch.isspace() or unicodedata.category(ch)[0] != "C")
    return re.sub(r"\s+", " ", text).strip()


def normalize_email(raw: object) -> Email:
    text = clean_text(raw).lower()
    if not text:
        return Email("", valid=False)
    # Forms often send "Name <addr>" or "mailto:addr".
    match = re.search(r"<([^<>]+)>", text)
    if match:
        text = match.group(1).strip()
    text = text.removeprefix("mailto:")
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError as error:
        return Email(text, valid=False, error=str(error))
    address = checked.normalized.lower()
    local, _, domain = address.rpartition("@")
    return Email(
        address,
        valid=True,
        free=domain in FREE_MAIL_DOMAINS or registrable_domain(domain) in FREE_MAIL_DOMAINS,
        role=local.split("+")[0] in ROLE_LOCAL_PARTS,
        domain=domain,
    )


def normalize_phone(raw: object, default_region: str = "US") -> Phone:
    text = clean_text(raw)
    if not text:
        return Phone("", valid=False)
    try:
        number = phonenumbers.parse(text, default_region.upper() or None)
    except phonenumbers.NumberParseException as error:
        return Phone(text, valid=False, error=str(error))
    if not phonenumbers.is_valid_number(number):
        return Phone(text, valid=False, error="not a valid number for its region")
    return Phone(
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        valid=True,
        country=phonenumbers.region_code_for_number(number) or "",
    )


# Country-code top-level domains whose code is not the ISO region's.
TLD_REGIONS = {"UK": "GB"}


def domain_region(domain: str) -> str:
    """The region of a country-code top-level domain ("firma.de" -> "DE",
    "acme.co.uk" -> "GB"), or "" for a generic one (.com, .io is British
    Indian Ocean Territory but read as generic: start-ups use it)."""
    tld = domain.rstrip(".").rpartition(".")[2].upper()
    region = TLD_REGIONS.get(tld, tld)
    if len(region) != 2 or region == "IO" or region not in phonenumbers.SUPPORTED_REGIONS:
        return ""
    return region


def phone_region(*hints: str, default: str) -> str:
    """The region to read a number without a country code in: the first of
    `hints` that is a region (the lead's country) or a domain with a country
    code (its email's, its website's), else `default`. A German lead with a
    .de address and "030 1234567" is in Berlin, not invalid in the US."""
    for hint in hints:
        hint = (hint or "").strip()
        if len(hint) == 2 and hint.upper() in phonenumbers.SUPPORTED_REGIONS:
            return hint.upper()
        if "." in hint:
            region = domain_region(hint)
            if region:
                return region
    return default


def _case_word(word: str, first: bool) -> str:
    if "-" in word:
        return "-".join(_case_word(part, first) for part in word.split("-"))
    lower = word.lower()
    if not first and lower in NAME_PARTICLES:
        return lower
    if lower.startswith(("o'", "d'")) and len(lower) > 2:
        return lower[0].upper() + "'" + lower[2:].capitalize()
    if lower.startswith("mc") and len(lower) > 2:
        return "Mc" + lower[2:].capitalize()
    return lower.capitalize()


def normalize_name(raw: object) -> str:
    """Trim and, when typed all in capitals or all in lower case, case it as a
    name ("JEAN-LUC VAN DER BERG" -> "Jean-Luc van der Berg"). Mixed case is
    kept as the person typed it ("McDonald", "DeShawn")."""
    text = clean_text(raw).strip(" ,;")
    if not text or not (text.isupper() or text.islower()):
        return text
    return " ".join(_case_word(word, i == 0) for i, word in enumerate(text.split(" ")))


def split_full_name(raw: object) -> tuple[str, str]:
    """"Ada Lovelace" -> ("Ada", "Lovelace"); "Lovelace, Ada" -> ("Ada", "Lovelace")."""
    text = clean_text(raw)
    if "," in text:
        last, _, first = text.partition(",")
        return normalize_name(first), normalize_name(last)
    first, _, last = text.partition(" ")
    return normalize_name(first), normalize_name(last)


# The Public Suffix List as tldextract ships it, and only that: no suffix list
# URLs (so it never fetches one) and no cache directory (so it never writes
# one). A domain is then the same on every machine, offline and in CI; a newer
# list comes with a newer tldextract.
SUFFIXES = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None,
                                 fallback_to_snapshot=True)


@functools.lru_cache(maxsize=65536)  # imports ask for the same few domains again and again
def _registrable(host: str) -> str:
    parts = SUFFIXES(host)
    if parts.suffix or parts.ipv4:
        return parts.top_domain_under_public_suffix  # "" for an IP address
    # A top-level domain the list lacks ("acme.example", "intranet.corp"): the
    # list's own default rule ("*") makes the last label the public suffix.
    return ".".join(host.split(".")[-2:])


def registrable_domain(raw: object) -> str:
    """The domain a company registers, of a host name, a web address or an
    email address: "https://www.stock.walmart.com/x", "ada@mail.walmart.com"
    -> "walmart.com"; "shop.example.co.uk" -> "example.co.uk" (public-suffix
    aware). "" when there is none: not a host name, an IP address,
    "localhost", a public suffix alone ("co.uk")."""
    text = clean_text(raw).lower().removeprefix("mailto:")
    if not text:
        return ""
    if "://" not in text:
        text = "http://" + text  # "ada@acme.com" too: its host is what follows the @
    try:
        host = urlsplit(text).hostname or ""
    except ValueError:
        return ""
    host = host.strip(".")
    if "." not in host or not all(ch.isalnum() or ch in ".-" for ch in host):
        return ""
    return _registrable(host)


def company_domain(email: Email, website: object = "") -> str:
    """The company's (registrable) domain: the website's, else the email's
    unless free mail; never a social network's or a site builder's."""
    for domain in (registrable_domain(website),
                   registrable_domain(email.domain) if email.valid else ""):
        if domain and domain not in FREE_MAIL_DOMAINS and domain not in NON_COMPANY_DOMAINS:
            return domain
    return ""


LEGAL_FORMS = re.compile(
    r"\b(inc|incorporated|llc|ltd|limited|corp|corporation|co|company|gmbh|ag|sa|"
    r"sas|sarl|srl|spa|bv|nv|plc|pty|oy|ab|as|kg|kgaa|se|lp|llp|group|holding|"
    r"holdings)\b",
)


def company_key(raw: object) -> str:
    """A matching key for a company name: lower case, accents, punctuation and
    legal forms removed ("ACME, Inc." and "Acme Inc" -> "acme")."""
    text = unicodedata.normalize("NFKD", clean_text(raw).lower().replace(".", ""))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("&", " and ")
    text = LEGAL_FORMS.sub(" ", text)
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return " ".join(text.split())

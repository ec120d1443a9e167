"""Which encoding a CSV file is in, and the encodings a person may choose.

UTF-8 (or a byte-order mark) is recognised for sure. A file in a one-byte
code page is not: every byte decodes in every Latin code page, and
charset-normalizer alone, on the few hundred bytes of a small export, often
reads a Western file (cp1252) as Central European (cp1250: "Ångström" became
"Ĺngström") or even as Japanese. So the Latin code pages are told apart here
by the words they make: a word whose accented letters all belong to one
language's alphabet ("Ångström": å, ö are Swedish) counts for the code page,
a word that mixes letters no language writes together ("Ĺngström": ĺ is
Slovak, ö is not) or has a symbol inside it ("£ukasz") counts against it.
A Central or Eastern European code page wins only when it reads strictly
better than cp1252: when both read alike (ambiguous), cp1252, by far the most
common in the files people export. Other scripts (Cyrillic, Greek...) make
no Latin words at all, and are charset-normalizer's to name.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

# How much of a file its encoding and delimiter are detected from.
SAMPLE_BYTES = 64 * 1024

# What a person may choose on the import page (and `--encoding` accepts any
# name Python knows): (codec name, label).
ENCODING_CHOICES: tuple[tuple[str, str], ...] = (
    ("utf-8", "UTF-8 (Unicode)"),
    ("cp1252", "Windows-1252 (Western European)"),
    ("latin-1", "Latin-1 (ISO-8859-1, Western)"),
    ("iso8859-15", "Latin-9 (ISO-8859-15, Western)"),
    ("cp1250", "Windows-1250 (Central European)"),
    ("iso8859-2", "Latin-2 (ISO-8859-2, Central)"),
    ("cp1257", "Windows-1257 (Baltic)"),
    ("cp1254", "Windows-1254 (Turkish)"),
    ("cp1251", "Windows-1251 (Cyrillic)"),
    ("cp1253", "Windows-1253 (Greek)"),
    ("mac-roman", "Mac OS Roman"),
    ("utf-16", "UTF-16"),
    ("cp932", "Shift JIS (Japanese)"),
    ("gb18030", "GB18030 (Chinese)"),
)



def codec_name(encoding: str) -> str:
    """Python's own name of an encoding ("latin-1" -> "iso8859-1"), or "" when unknown."""
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return ""


def encoding_choice(encoding: str) -> str:
    """The choice an encoding is, or "" when none ("utf-8-sig" is UTF-8: the
    byte-order mark is read whichever is chosen)."""
    name = codec_name(encoding)
    name = "utf-8" if name == "utf-8-sig" else name
    return next((value for value, _ in ENCODING_CHOICES if codec_name(value) == name), "")


def encoding_label(encoding: str) -> str:
    """How a page names an encoding: its label among the choices, else its name."""
    choice = encoding_choice(encoding)
    return dict(ENCODING_CHOICES)[choice] if choice else encoding


# The Latin code pages compared, the preferred first (it wins ties).
LATIN_CODE_PAGES = ("cp1252", "cp1250", "cp1257", "cp1254")

# The accented letters each language writes (lower case), by code page group.
# Icelandic (ð, þ) is left out: its letters are those cp1254 has for Turkish
# (ğ, ş), so Turkish files would read as Icelandic.
WESTERN = {
    "de": "äöüß", "fr": "àâæçéèêëîïôœùûüÿ", "es": "áéíñóúü", "it": "àèéìíîòóù",
    "pt": "áâãàçéêíóôõú", "nl": "éèëïöüáó", "sv": "åäöé", "da": "æøåé", "fi": "äöå",
    "ca": "àçèéíïòóúü",
}
CENTRAL = {
    "cs": "áčďéěíňóřšťúůýž", "sk": "áäčďéíĺľňóôŕšťúýž", "pl": "ąćęłńóśźż",
    "hu": "áéíóöőúüű", "ro": "ăâîşţșț", "hr": "čćđšž", "sl": "čšž", "de": "äöüß",
}
BALTIC = {"lt": "ąčęėįšųūž", "lv": "āčēģīķļņšūž", "et": "äõöüšž", "de": "äöüß"}
TURKISH = {"tr": "çğıöşü", "de": "äöüß", "fr": "àâçéèêëîïôûü"}
ALPHABETS = {"cp1252": WESTERN, "cp1250": CENTRAL, "cp1257": BALTIC, "cp1254": TURKISH}

# Apostrophes and the Catalan middle dot may sit inside a word; the ordinal
# indicators (1º, 2ª) may follow a number, never a letter.
IN_WORD = "’‘´·"
ORDINALS = "ºª"
# A word: what lies between white space and ASCII punctuation (CSV delimiters).
WORD = re.compile(r"[^\s!-/:-@\[-`{-~]+")


def misread(word: str) -> bool:
    """A symbol next to a letter ("£ukasz", "¯ó³æ", "ºtefan"): letters
    decoded as symbols by the wrong code page."""
    for i, ch in enumerate(word):
        if ch.isascii() or ch in IN_WORD or (ch.isalpha() and ch not in ORDINALS):
            continue
        if any(near.isalpha() for near in word[max(i - 1, 0):i] + word[i + 1:i + 2]):
            return True
    return False


def fits(word: str, alphabets: dict[str, str]) -> bool:
    """Whether the word's accented letters are all of one language's alphabet."""
    folded = unicodedata.normalize("NFC", word.lower().replace("i\u0307", "i"))
    accented = {ch for ch in folded if not ch.isascii() and ch.isalpha()}
    return any(accented <= set(letters) for letters in alphabets.values())


def latin_score(text: str, code_page: str) -> int:
    """Words of `text` that read as some language of the code page's group,
    less those that read as none."""
    alphabets, score = ALPHABETS[code_page], 0
    for word in WORD.findall(text):
        if word.isascii():
            continue
        if misread(word):
            score -= 1
        elif any(ch.isalpha() and not ch.isascii() for ch in word):
            score += 1 if fits(word, alphabets) else -1
    return score


def best_latin(sample: bytes) -> str:
    """The Latin code page that reads the sample best (cp1252 on a tie, and
    when no word tells them apart), or "" when none reads it as Latin words."""
    scores: list[tuple[int, str]] = []
    for code_page in LATIN_CODE_PAGES:
        try:
            text = sample.decode(code_page)
        except UnicodeDecodeError:
            continue  # a byte this code page leaves undefined
        if any("\x80" <= ch <= "\x9f" for ch in text):
            continue
        scores.append((latin_score(text, code_page), code_page))
    if not scores:
        return ""
    best = max(score for score, _ in scores)
    if best < 0:
        return ""  # no Latin words: another script
    return next(code_page for score, code_page in scores if score == best)


def detect_encoding(sample: bytes) -> str:
    """The encoding of a file from its first bytes: a BOM, else UTF-8 when the
    sample is (nearly) UTF-8, else the Latin code page that reads it best,
    else charset-normalizer's guess (cp1252 when it has none)."""
    for bom, name in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"),
                      (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
                      (codecs.BOM_UTF16_BE, "utf-16")):
        if sample.startswith(bom):
            return name
    text = sample.decode("utf-8", errors="surrogateescape")
    if len(sample) == SAMPLE_BYTES:  # a character may be cut at the end of the sample
        text = text[:-3]
    bad = sum(1 for ch in text if "\udc80" <= ch <= "\udcff")
    good = sum(1 for ch in text if ord(ch) > 127 and not "\udc80" <= ch <= "\udcff")
    # Real UTF-8 with a damaged row or two stays UTF-8 (those rows become row
    # errors); bytes that never form UTF-8 sequences are another encoding.
    if bad == 0 or good > bad:
        return "utf-8"
    latin = best_latin(sample)
    if latin:
        return latin
    from charset_normalizer import from_bytes

    # Its best guess of another script: the Latin code pages were just ruled out.
    ruled_out = ("ascii", "utf_8", "latin_1", "iso8859_15", "mac_roman", *LATIN_CODE_PAGES)
    return next((match.encoding for match in from_bytes(sample)
                 if match.encoding not in ruled_out), "cp1252")

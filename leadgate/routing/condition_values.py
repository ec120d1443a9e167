"""A condition's value as plain text and back (pure: no database, no forms).

Managers type "DE, AT, CH" rather than the JSON ["DE", "AT", "CH"]. What the
text means depends on the operator and on the kind of field:

- "in": a comma-separated list; any other operator: one value (commas kept);
- gte / lte and number fields: numbers ("200" is 200, "0.5" is 0.5);
- yes-no fields: yes / no (or true / false);
- text fields: the text as typed;
- fields of unknown kind (enrichment facts): a number, yes / no, else text;
- "exists" takes no value (or yes / no: set / missing).

Text in double quotes is text as written, whatever the field: "42", "yes",
"Acme, Inc" (JSON string syntax). `value_text` writes each value so that
`parse_value` reads it back the same, quoting only when it must.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any

TEXT, NUMBER, BOOL, ANY = "text", "number", "bool", "any"
YES, NO = ("yes", "true"), ("no", "false")
_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
_INTEGER = re.compile(r"[-+]?\d+")


class ValueTextError(ValueError):
    """The text is not a value of this field and operator (the message says why)."""


def parse_value(text: str, operator: str, kind: str) -> Any:
    """The condition's value from what the manager typed (ValueTextError if none)."""
    text = (text or "").strip()
    if operator == "exists":
        if not text:
            return None  # "is set", as routing reads a missing value
        answer = _bool(text)
        if answer is None:
            raise ValueTextError("“is set” needs no value (or yes / no)")
        return answer
    if not text:
        raise ValueTextError("give a value" + (", or several separated by commas"
                                               if operator == "in" else ""))
    if operator == "in":
        items = [_token(item, operator, kind) for item in _items(text)]
        if not items:
            raise ValueTextError("give a value, or several separated by commas")
        return items
    return _token(text, operator, kind)


def value_text(value: Any, operator: str, kind: str) -> str:
    """The text `parse_value` reads as `value`: "DE, AT", "200", "yes", '"42"'."""
    if operator == "exists":
        return "" if value is None else ("yes" if value else "no")
    if operator == "in" and isinstance(value, list):
        return ", ".join(_item_text(item, operator, kind, in_list=True) for item in value)
    return _item_text(value, operator, kind, in_list=False)


def _item_text(value: Any, operator: str, kind: str, in_list: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        plain = "yes" if value else "no"
    elif isinstance(value, (int, float)):
        plain = repr(value)
    else:
        plain = str(value)
    try:
        read = _token(plain, operator, kind)
    except ValueTextError:
        read = _Unread
    separate = not in_list or list(_items(plain)) == [plain]
    if separate and plain and plain == plain.strip() and _same(read, value):
        return plain
    return json.dumps(value if isinstance(value, str) else plain, ensure_ascii=False)


class _Unread:
    """What a text that does not parse reads as: equal to nothing."""


def _same(read: Any, value: Any) -> bool:
    return type(read) is type(value) and read == value


def _token(text: str, operator: str, kind: str) -> Any:
    text = text.strip()
    if text.startswith('"'):
        try:
            quoted = json.loads(text)
        except ValueError:
            raise ValueTextError(f"{text} has an opening quote without its closing one, "
                                 'or a stray quote; write "text in quotes"') from None
        if not isinstance(quoted, str):
            raise ValueTextError(f"{text} is not text in quotes")
        return quoted
    if kind == NUMBER or operator in ("gte", "lte"):
        number = _number(text)
        if number is None:
            raise ValueTextError(f"“{text}” is not a number (write it like 200 or 0.5)")
        return number
    if kind == BOOL:
        answer = _bool(text)
        if answer is None:
            raise ValueTextError(f"“{text}” is not yes or no")
        return answer
    if kind == ANY:
        number = _number(text)
        if number is not None:
            return number
        answer = _bool(text)
        if answer is not None:
            return answer
    return text


def _number(text: str) -> int | float | None:
    if _INTEGER.fullmatch(text):
        return int(text)
    if _NUMBER.fullmatch(text):
        number = float(text)
        return number if math.isfinite(number) else None
    return None


def _bool(text: str) -> bool | None:
    word = text.strip().lower()
    if word in YES:
        return True
    if word in NO:
        return False
    return None


def _items(text: str) -> Iterator[str]:
    """The comma-separated items of a list, commas inside an item "in quotes"
    kept (with JSON's backslash escapes); empty items skipped."""
    item: list[str] = []
    quoted = escaped = False
    for char in text:
        if quoted:
            item.append(char)
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                quoted = False
        elif char == ",":
            if "".join(item).strip():
                yield "".join(item).strip()
            item = []
        else:
            # Only a quote that starts an item opens one: 5" screen stays text.
            quoted = char == '"' and not "".join(item).strip()
            item.append(char)
    if "".join(item).strip():
        yield "".join(item).strip()

"""A condition's value typed as plain text and shown again (routing/condition_values.py)."""

import pytest

from leadgate.routing.condition_values import (
    ANY,
    BOOL,
    NUMBER,
    TEXT,
    ValueTextError,
    parse_value,
    value_text,
)


@pytest.mark.parametrize(("text", "operator", "kind", "value"), [
    ("DE, AT, CH", "in", TEXT, ["DE", "AT", "CH"]),
    ("DE", "in", TEXT, ["DE"]),
    ("DE,, AT,", "in", TEXT, ["DE", "AT"]),
    ('"Acme, Inc", Initech', "in", TEXT, ["Acme, Inc", "Initech"]),
    ("Acme, Inc", "eq", TEXT, "Acme, Inc"),
    ("  FR ", "eq", TEXT, "FR"),
    ("200", "eq", TEXT, "200"),
    ("200", "gte", TEXT, 200),
    ("200", "gte", ANY, 200),
    ("0.5", "lte", NUMBER, 0.5),
    ("-3", "eq", NUMBER, -3),
    ("10, 50, 200", "in", NUMBER, [10, 50, 200]),
    ("yes", "eq", BOOL, True),
    ("No", "eq", BOOL, False),
    ("true", "ne", BOOL, True),
    ("vp", "eq", ANY, "vp"),
    ("42", "eq", ANY, 42),
    ("yes", "eq", ANY, True),
    ('"42"', "eq", ANY, "42"),
    ('"yes"', "eq", BOOL, "yes"),
    ('""', "eq", TEXT, ""),
    ("", "exists", TEXT, None),
    ("yes", "exists", TEXT, True),
    ("no", "exists", NUMBER, False),
])
def test_it_reads_plain_text_by_operator_and_kind_of_field(text, operator, kind, value):
    read = parse_value(text, operator, kind)
    assert read == value and type(read) is type(value)


@pytest.mark.parametrize(("text", "operator", "kind", "message"), [
    ("many", "gte", TEXT, "“many” is not a number"),
    ("10, lots", "in", NUMBER, "“lots” is not a number"),
    ("maybe", "eq", BOOL, "“maybe” is not yes or no"),
    ("", "eq", TEXT, "give a value"),
    (" , ", "in", TEXT, "give a value"),
    ("", "in", TEXT, "or several separated by commas"),
    ("perhaps", "exists", TEXT, "“is set” needs no value"),
    ('"unclosed', "eq", TEXT, "opening quote"),
    ("nan", "gte", NUMBER, "not a number"),
])
def test_it_refuses_text_that_is_no_value_saying_why(text, operator, kind, message):
    with pytest.raises(ValueTextError, match=message):
        parse_value(text, operator, kind)


@pytest.mark.parametrize(("value", "operator", "kind", "text"), [
    (["FR", "BE"], "in", TEXT, "FR, BE"),
    ("FR", "eq", TEXT, "FR"),
    (200, "gte", NUMBER, "200"),
    (0.5, "lte", NUMBER, "0.5"),
    (True, "eq", BOOL, "yes"),
    (None, "exists", TEXT, ""),
    (False, "exists", TEXT, "no"),
    ("42", "eq", ANY, '"42"'),
    ("Acme, Inc", "eq", TEXT, "Acme, Inc"),
    (["Acme, Inc", "Initech"], "in", TEXT, '"Acme, Inc", Initech'),
    ("", "eq", TEXT, '""'),
])
def test_it_shows_a_stored_value_as_plain_text(value, operator, kind, text):
    assert value_text(value, operator, kind) == text


@pytest.mark.parametrize(("value", "operator", "kind"), [
    (["FR", "BE"], "in", TEXT),
    (["c-level", "director"], "in", ANY),
    ("vp", "eq", ANY),
    (200, "gte", NUMBER),
    (200, "gte", ANY),
    (200.0, "gte", NUMBER),
    (1e21, "lte", NUMBER),
    ("200", "gte", TEXT),
    (0.35, "gte", NUMBER),
    ([1, 2], "in", NUMBER),
    (True, "eq", BOOL),
    (False, "ne", ANY),
    ("yes", "eq", ANY),
    ("42", "eq", ANY),
    (" padded ", "eq", TEXT),
    ('say "hi"', "contains", TEXT),
    ('"quoted"', "eq", TEXT),
    (["a, b", 'c"d', "", "e"], "in", TEXT),
    ("München", "eq", TEXT),
    (None, "exists", ANY),
    (True, "exists", ANY),
    (False, "exists", ANY),
])
def test_it_reads_back_the_text_it_shows(value, operator, kind):
    read = parse_value(value_text(value, operator, kind), operator, kind)
    assert read == value and type(read) is type(value)

"""The published OpenAPI spec describes what the server does: each field's
own values, and every status an operation may answer with its body's shape."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def spec(client):
    return client.get("/api/v1/openapi.json").json()


def operations(spec):
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def field_enum(spec, schema_name, field):
    prop = spec["components"]["schemas"][schema_name]["properties"][field]
    return prop.get("enum") or spec["components"]["schemas"][prop["$ref"].rsplit("/", 1)[1]]["enum"]


def test_it_publishes_the_activity_kinds_for_an_activity(spec):
    assert "page_visit" in field_enum(spec, "ActivityIn", "kind")


def test_it_publishes_the_outcome_kinds_for_an_outcome(spec):
    assert field_enum(spec, "OutcomeIn", "kind") == ["opportunity", "won", "lost"]


def test_it_describes_every_422_as_a_validation_error_with_its_list(spec):
    wrong = [name for name, operation in operations(spec)
             if "422" in operation["responses"]
             and operation["responses"]["422"]["content"]["application/json"]["schema"]
             != {"$ref": "#/components/schemas/ValidationErrorOut"}]
    assert wrong == []


def test_it_declares_the_answers_to_a_bad_key_and_a_busy_database(spec):
    missing = [(name, status) for name, operation in operations(spec)
               for status in (("401", "403", "503") if operation.get("security") else ("503",))
               if status not in operation["responses"]]
    assert missing == []

"""The lead model's reasons in words a qualifier reads ("title says Head of
Sales"), without the features that say nothing about the lead."""

from io import StringIO

import pytest
from django.core.management import call_command

from leadgate.leads.models import Lead
from leadgate.scoring.database import FEATURES
from leadgate.scoring.model import tabular
from leadgate.scoring.models import ModelVersion
from leadgate.scoring.predict import explain, score_with_model
from leadgate.scoring.reasons import LEFT_OUT, MISSING, RARE, WORDS, in_words
from tests.api_helpers import api_get, make_key
from tests.factories import make_outcome_history


def category(name):
    return {"name": name, "column": name, "kind": "categorical"}


def boolean(name):
    return {"name": name, "column": name, "kind": "boolean"}


def database_features():
    """The names of the features a lead model trained on the database can have:
    the spec inferred from rows where every column of FEATURES varies."""
    n = 12
    columns = {
        "lead_id": [str(i) for i in range(n)],
        **{name: [f"{name} {i % 4}" for i in range(n)] for name in FEATURES},
        "email_free": ["yes", "no"] * (n // 2),
        "email_role": ["no", "yes"] * (n // 2),
        "employees": [str(10 * i) for i in range(n)],
        "created": [f"2031-03-{i + 1:02d}" for i in range(n)],
        "outcome": ["yes", "no"] * (n // 2),
    }
    table = tabular.Table.from_columns(columns, n)
    spec = tabular.infer_spec(table, target="outcome", id_column="lead_id", date_column="created")
    return {feature["name"] for feature in spec["features"]}


def test_it_has_words_or_a_reason_to_leave_it_out_for_every_feature_of_the_lead_model():
    features = database_features()
    assert len(features) == len(FEATURES) + 2  # the date is a month, a weekday and an age
    assert all((name in WORDS) != (name in LEFT_OUT) for name in features)


def test_it_says_a_reason_with_the_leads_own_text():
    assert in_words(category("title"), "head of sales", "Head of Sales ") == \
        "title says Head of Sales"
    assert in_words(category("source"), "webinar", "Webinar") == "from the Webinar source"


def test_it_names_the_country_of_a_code():
    assert in_words(category("country"), "kr", "KR") == "based in South Korea"


def test_it_says_a_yes_or_no_feature_as_a_sentence():
    assert in_words(boolean("email_free"), "yes", "yes") == \
        "writes from a free email address (Gmail, Outlook…)"


def test_it_says_what_is_missing():
    assert in_words(category("title"), MISSING, "") == "no job title given"


def test_it_says_when_a_value_is_rare_among_past_leads():
    assert in_words(category("industry"), RARE, "Llama farming") == \
        "in the Llama farming industry (rare among past leads)"


@pytest.mark.django_db
def test_it_leaves_out_of_the_reasons_the_features_not_about_the_lead():
    make_outcome_history()
    call_command("model", "train", "--name", "leads", stdout=StringIO(), stderr=StringIO())
    used = {feature["name"] for feature in ModelVersion.objects.get().features["features"]}
    assert {"created_dow", "created_month"} <= used
    reasons = explain(Lead.objects.filter(stage="working").first(), top=len(used))
    assert reasons and not {reason["feature"] for reason in reasons} & set(LEFT_OUT)


@pytest.mark.django_db
def test_it_shows_the_model_reasons_in_words_on_the_lead_page(client, mia):
    make_outcome_history()
    call_command("model", "train", "--name", "leads", stdout=StringIO(), stderr=StringIO())
    lead = Lead.objects.filter(stage="working", title="Head of Sales").first()
    score_with_model([lead.pk])
    client.force_login(mia)
    page = client.get(f"/leads/{lead.pk}/").content.decode()
    reasons = explain(lead)
    assert reasons
    for reason in reasons:
        assert f'<li data-feature="{reason["feature"]}">' in page
        assert f'{reason["words"]}</li>' in page
    assert " = " not in page.split('class="model-reasons"')[1].split("</ul>")[0]


@pytest.mark.django_db
def test_it_gives_the_model_reasons_in_words_in_the_api(mia):
    make_outcome_history()
    call_command("model", "train", "--name", "leads", stdout=StringIO(), stderr=StringIO())
    lead = Lead.objects.filter(stage="working", title="Head of Sales").first()
    score_with_model([lead.pk])
    body = api_get(make_key(), f"/leads/{lead.pk}").json()
    given = body["score"]["model_reasons"]
    assert given and [reason["words"] for reason in given] == [
        reason["words"] for reason in explain(lead)]
    assert all(reason["words"] for reason in given)

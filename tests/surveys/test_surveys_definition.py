"""Survey YAML: the examples load and round-trip; mistakes say file, line and field."""

from __future__ import annotations

import pytest

from esperia.errors import InvalidInput
from esperia.surveys import (
    EXAMPLES,
    load_survey_file,
    parse_survey,
    survey_from_dict,
    survey_to_dict,
    survey_to_yaml,
)

GOOD = """\
id: mini
title: {it: Mini, en: Mini}
questions:
  - id: score
    type: nps
    text: {it: "Consiglieresti", en: "Recommend"}
  - id: why
    type: text
    text: {it: "Perché", en: "Why"}
    show_if: {question: score, op: le, value: 6}
"""


def test_every_example_loads_and_round_trips():
    files = sorted(EXAMPLES.glob("*.yaml"))
    assert [f.stem for f in files] == ["post-care", "post-delivery", "post-event"]
    types = set()
    for file in files:
        survey = load_survey_file(file)
        assert parse_survey(survey_to_yaml(survey)) == survey
        assert survey_from_dict(survey_to_dict(survey)) == survey
        types |= {q.type for q in survey.questions}
    # Between them the examples use every question type.
    assert types == {
        "nps", "csat", "ces", "rating", "single", "multiple", "text",
        "pyramid", "module", "expectation", "perception",
    }  # fmt: skip


def test_model_items_get_namespaced_item_names():
    survey = load_survey_file(EXAMPLES / "post-delivery.yaml")
    names = {q.id: q.item_name(survey.id) for q in survey.questions}
    assert names["needs"] == "pyramid.needs"
    assert names["expect_speed"] == "expectation.delivery_speed"
    assert names["perceive_speed"] == "perception.delivery_speed"
    assert names["problem"] == "post-delivery.problem"
    event = load_survey_file(EXAMPLES / "post-event.yaml")
    assert event.question("relate").item_name(event.id) == "module.relate"


def test_trigger_delay_and_sampling_are_read():
    trigger = load_survey_file(EXAMPLES / "post-delivery.yaml").trigger
    assert trigger is not None
    assert trigger.delay_hours == 24
    assert trigger.sample == 0.5
    assert trigger.touchpoints == ("TP-COURIER", "TP-LOCKER")


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (("    type: nps", "    type: stars"), "bad.yaml:5: questions[0].type"),
        (('text: {it: "Perché", en: "Why"}', 'text: {it: "Perché"}'), "bad.yaml:9: "
         "questions[1].text.en"),
        (("question: score", "question: nothing"), "bad.yaml:10: "
         "questions[1].show_if.question"),
        (("op: le", "op: about"), "bad.yaml:10: questions[1].show_if.op"),
        (("id: why", "id: score"), "bad.yaml:7: questions[1].id"),
    ],
)  # fmt: skip
def test_mistakes_name_file_line_and_field(change, where):
    text = GOOD.replace(*change)
    with pytest.raises(InvalidInput) as caught:
        parse_survey(text, "bad.yaml")
    assert caught.value.message.startswith(where), caught.value.message


def test_every_problem_is_listed_in_details():
    text = GOOD.replace("en: Mini", "de: Mini").replace("type: text", "type: txt")
    with pytest.raises(InvalidInput) as caught:
        parse_survey(text, "bad.yaml")
    fields = [d["field"] for d in caught.value.details]
    assert fields == ["title.en", "title.de", "questions[1].type"]
    assert all(d["file"] == "bad.yaml" for d in caught.value.details)


def test_a_condition_must_look_back_to_an_earlier_screen():
    text = GOOD.replace("    show_if:", "    group: g\n    show_if:").replace(
        "    type: nps", "    type: nps\n    group: g"
    )
    with pytest.raises(InvalidInput, match="not on an earlier screen"):
        parse_survey(text, "bad.yaml")


def test_broken_yaml_says_the_line():
    with pytest.raises(InvalidInput, match=r"^bad.yaml: line 4: not valid YAML"):
        parse_survey("id: a\ntitle: {it: a, en: b}\nquestions: [\n", "bad.yaml")


def test_skip_logic_conditions():
    survey = parse_survey(GOOD)
    why = survey.question("why")
    assert why.visible({"score": 3})
    assert why.visible({"score": 6})
    assert not why.visible({"score": 7})
    assert not why.visible({})

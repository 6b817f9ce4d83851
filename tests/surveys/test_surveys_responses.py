"""Answering: screens and skip logic, partial answers kept, one response per token,
and the answers stored as feedback + feedback_items in one transaction."""

from __future__ import annotations

import dataclasses
import json

import pytest
from support.surveys_time import NOW

from esperia.errors import Conflict, NotFound
from esperia.surveys import (
    create_invitations,
    create_open_response,
    get_survey,
    list_invitations,
    list_responses,
    load_response,
    save_survey,
    submit_screen,
    survey_results,
)


@pytest.fixture
def token(bookshop, settings) -> str:
    survey = get_survey(bookshop, "post-delivery")
    assert survey.trigger is not None
    trigger = dataclasses.replace(survey.trigger, sample=1.0)
    save_survey(bookshop, dataclasses.replace(survey, trigger=trigger))
    create_invitations(bookshop, settings, "post-delivery", now=NOW)
    rows = list_invitations(bookshop, settings, "post-delivery")
    return next(r["token"] for r in rows if r["customer_id"] == "c04")


def _answer(store, token, step, **values):
    form = {f"q_{k}": v if isinstance(v, list) else [str(v)] for k, v in values.items()}
    return submit_screen(store, token, step, form)


def test_a_whole_response_through_skip_logic_becomes_feedback(bookshop, token):
    response = load_response(bookshop, token)
    assert (response.current_step(), response.language) == (0, "it")
    _answer(bookshop, token, 0, nps=9)
    _answer(bookshop, token, 1, ces=3)  # low effort score: the problem screen shows
    _answer(bookshop, token, 2, expect_speed=6, perceive_speed=3)
    _answer(bookshop, token, 3, needs=7, ease=2)
    response, errors = _answer(bookshop, token, 4, problem="late")
    assert errors == {} and not response.completed
    response, _ = _answer(
        bookshop, token, 5, comment="Arrivato con due giorni di ritardo"
    )
    assert response.completed
    with bookshop.connect() as conn:
        feedback = conn.fetch_dicts(
            "SELECT * FROM feedback WHERE feedback_id = ?", (response.feedback_id,)
        )[0]
        items = {
            (r[0], r[1]): r[2:]
            for r in conn.fetchall(
                "SELECT item, text_value, value, scale_min, scale_max "
                "FROM feedback_items WHERE feedback_id = ?",
                (response.feedback_id,),
            )
        }
    assert feedback["source"] == "survey"
    assert (feedback["customer_id"], feedback["touchpoint_id"]) == ("c04", "TP-COURIER")
    assert feedback["interaction_id"].startswith("i0")
    assert (feedback["nps"], feedback["ces"], feedback["csat"]) == (9, 3, None)
    assert feedback["text"] == "Arrivato con due giorni di ritardo"
    assert feedback["language"] == "it"
    props = feedback["properties"]
    props = json.loads(props) if isinstance(props, str) else props
    assert props["survey_id"] == "post-delivery"
    assert items[("pyramid.needs", None)] == (7.0, 1.0, 7.0)
    assert items[("pyramid.ease", None)] == (2.0, 1.0, 7.0)
    assert items[("expectation.delivery_speed", None)] == (6.0, 1.0, 7.0)
    assert items[("perception.delivery_speed", None)] == (3.0, 1.0, 7.0)
    assert items[("post-delivery.nps", None)] == (9.0, 0.0, 10.0)
    assert items[("post-delivery.problem", "late")] == (1.0, 1.0, 4.0)
    assert ("post-delivery.comment", "Arrivato con due giorni di ritardo") in items
    assert len(items) == 8  # one per answered question


def test_skip_logic_hides_and_forgets(bookshop, token):
    _answer(bookshop, token, 0, nps=6)
    _answer(bookshop, token, 1, ces=2)
    _answer(bookshop, token, 2, expect_speed=5, perceive_speed=5)
    _answer(bookshop, token, 3, needs=5, ease=5)
    _answer(bookshop, token, 4, problem="missed")
    # Back to the effort question: now easy, so the problem answer is dropped.
    response, _ = _answer(bookshop, token, 1, ces=7)
    assert "problem" not in response.answers
    assert response.current_step() == 5
    assert 4 not in response.steps()
    response, _ = _answer(bookshop, token, 5, comment=[""])  # optional, left empty
    assert response.completed
    with bookshop.connect() as conn:
        items = [r[0] for r in conn.fetchall(
            "SELECT item FROM feedback_items WHERE feedback_id = ?",
            (response.feedback_id,),
        )]  # fmt: skip
        text = conn.scalar(
            "SELECT text FROM feedback WHERE feedback_id = ?", (response.feedback_id,)
        )
    assert "post-delivery.problem" not in items
    assert "post-delivery.comment" not in items
    assert text is None


def test_partial_answers_are_kept(bookshop, token):
    _answer(bookshop, token, 0, nps=10)
    _answer(bookshop, token, 1, ces=6)
    again = load_response(bookshop, token)
    assert again.answers == {"nps": 10, "ces": 6}
    assert again.current_step() == 2
    with bookshop.connect() as conn:
        assert conn.scalar("SELECT count(*) FROM feedback") == 0


def test_required_and_out_of_range_answers_are_refused(bookshop, token):
    _, errors = _answer(bookshop, token, 0, nps=[""])
    assert errors == {"nps": "survey.required"}
    _, errors = _answer(bookshop, token, 0, nps=11)
    assert errors == {"nps": "survey.invalid"}
    assert load_response(bookshop, token).answers == {}
    with pytest.raises(Exception, match="no screen 3"):
        _answer(bookshop, token, 3, needs=4, ease=4)


def test_one_response_per_token(bookshop, token):
    for step, values in enumerate(
        [{"nps": 8}, {"ces": 5}, {"expect_speed": 4, "perceive_speed": 4},
         {"needs": 4, "ease": 4}]
    ):  # fmt: skip
        _answer(bookshop, token, step, **values)
    response, _ = _answer(bookshop, token, 5, comment="ok")
    assert response.completed
    with pytest.raises(Conflict):
        _answer(bookshop, token, 0, nps=0)
    with bookshop.connect() as conn:
        assert conn.scalar("SELECT count(*) FROM feedback") == 1
    done = list_responses(bookshop, "post-delivery")
    assert len(done) == 1 and done[0]["customer_id"] == "c04"
    assert done[0]["answers"]["nps"] == 8 and done[0]["answers"]["comment"] == "ok"
    results = survey_results(bookshop, "post-delivery")
    assert results["completed"] == 1
    assert results["response_rate"] == pytest.approx(1 / results["invitations"])
    nps = next(q for q in results["questions"] if q["id"] == "nps")
    assert (nps["n"], nps["passives"], nps["nps"]) == (1, 1, 0.0)


def test_unknown_token(bookshop):
    with pytest.raises(NotFound):
        load_response(bookshop, "not-a-token")


def test_open_link_responses_are_anonymous(bookshop):
    survey = get_survey(bookshop, "post-event")
    token = create_open_response(bookshop, survey, "en")
    _answer(bookshop, token, 0, csat=5)
    _answer(bookshop, token, 1, which=["people", "author"])
    _answer(bookshop, token, 2, sense=6, think=5, relate=7)
    _answer(bookshop, token, 3, enjoyment=6)
    response, _ = _answer(bookshop, token, 4, again="yes")
    assert response.completed  # why_not is skipped: they would come again
    with bookshop.connect() as conn:
        row = conn.fetchone(
            "SELECT customer_id, csat, language FROM feedback WHERE feedback_id = ?",
            (response.feedback_id,),
        )
        chosen = sorted(r[0] for r in conn.fetchall(
            "SELECT text_value FROM feedback_items WHERE feedback_id = ? "
            "AND item = 'post-event.which'", (response.feedback_id,)))  # fmt: skip
        relate = conn.scalar(
            "SELECT value FROM feedback_items WHERE feedback_id = ? "
            "AND item = 'module.relate'",
            (response.feedback_id,),
        )
    assert row == (None, 5, "en")
    assert chosen == ["author", "people"]
    assert relate == 7.0
    results = survey_results(bookshop, "post-event")
    assert results["open_link_responses"] == 1
    csat = next(q for q in results["questions"] if q["id"] == "csat")
    assert csat["csat"] == 100.0

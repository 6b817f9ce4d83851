"""Triggers: delay, filters, consent, seeded sampling, contact rule, idempotence."""

from __future__ import annotations

import csv
import dataclasses
import io
from datetime import datetime, timedelta

import pytest
from support.surveys_time import NOW

from esperia.errors import InvalidInput
from esperia.surveys import (
    create_invitations,
    export_invitations_csv,
    get_survey,
    list_invitations,
    save_survey,
)


def _retrigger(store, **changes):
    survey = get_survey(store, "post-delivery")
    assert survey.trigger is not None
    trigger = dataclasses.replace(survey.trigger, **changes)
    save_survey(store, dataclasses.replace(survey, trigger=trigger))


def test_rules_are_counted_and_a_second_run_creates_none(bookshop, settings):
    first = create_invitations(bookshop, settings, "post-delivery", now=NOW)
    # 13 customers x 2 deliveries; the shop visits and the 2-hour-old delivery
    # are outside the trigger.
    assert first.candidates == 26
    assert first.no_consent == 6  # c10 (marketing), c11 (analytics), c12 (unknown)
    assert first.sampled_out + first.too_frequent + first.created == 20
    assert 0 < first.sampled_out < 20  # sample: 0.5
    invited = list_invitations(bookshop, settings, "post-delivery")
    assert len(invited) == first.created
    customers = [row["customer_id"] for row in invited]
    assert len(set(customers)) == len(customers)  # once per 30 days
    assert not {"c10", "c11", "c12"} & set(customers)
    again = create_invitations(bookshop, settings, "post-delivery", now=NOW)
    assert again.created == 0
    assert len(list_invitations(bookshop, settings, "post-delivery")) == first.created


def test_sampling_is_seeded(bookshop, settings):
    first = create_invitations(bookshop, settings, "post-delivery", now=NOW)
    picked = {
        r["interaction_id"]
        for r in list_invitations(bookshop, settings, "post-delivery")
    }
    with bookshop.connect() as conn:
        conn.execute("DELETE FROM survey_invitations")
    same = create_invitations(bookshop, settings, "post-delivery", now=NOW)
    again = {
        r["interaction_id"]
        for r in list_invitations(bookshop, settings, "post-delivery")
    }
    assert (same.created, again) == (first.created, picked)
    _retrigger(bookshop, seed=12345)
    with bookshop.connect() as conn:
        conn.execute("DELETE FROM survey_invitations")
    create_invitations(bookshop, settings, "post-delivery", now=NOW)
    other = {
        r["interaction_id"]
        for r in list_invitations(bookshop, settings, "post-delivery")
    }
    assert other != picked


@pytest.mark.parametrize(("min_days", "expected"), [(0, 20), (1, 20), (3, 10)])
def test_contact_frequency_rule(bookshop, settings, min_days, expected):
    _retrigger(bookshop, sample=1.0)
    rules = settings.model_copy(update={"survey_min_days_between": min_days})
    result = create_invitations(bookshop, rules, "post-delivery", now=NOW)
    assert result.created == expected
    if min_days == 3:
        assert result.too_frequent == 10


def test_delay_window_and_since(bookshop, settings):
    _retrigger(bookshop, sample=1.0, window_days=3)
    loose = settings.model_copy(update={"survey_min_days_between": 0})
    # until = NOW - 1 day, window 3 days: only the deliveries 3 days ago.
    assert create_invitations(bookshop, loose, "post-delivery", now=NOW).created == 10
    since = NOW - timedelta(days=10)
    later = create_invitations(bookshop, loose, "post-delivery", since=since, now=NOW)
    assert later.created == 10
    # The 2-hour-old delivery becomes due a day later.
    tomorrow = create_invitations(
        bookshop, loose, "post-delivery", now=NOW + timedelta(days=1)
    )
    assert tomorrow.created == 1
    row = next(
        r for r in list_invitations(bookshop, loose, "post-delivery")
        if r["interaction_id"] == "i-fresh"
    )  # fmt: skip
    due = datetime.fromisoformat(row["due_at"])
    assert due == NOW + timedelta(hours=22)  # 2 hours old + 1 day of delay


def test_invitation_language_and_link(bookshop, settings):
    _retrigger(bookshop, sample=1.0)
    create_invitations(bookshop, settings, "post-delivery", now=NOW)
    rows = {
        r["customer_id"]: r
        for r in list_invitations(bookshop, settings, "post-delivery")
    }
    assert rows["c03"]["language"] == "en"
    assert rows["c04"]["language"] == "it"
    assert rows["c04"]["link"] == f"http://127.0.0.1:8000/s/{rows['c04']['token']}"


def test_csv_export_for_mailing_tools(bookshop, settings):
    _retrigger(bookshop, sample=1.0)
    created = create_invitations(bookshop, settings, "post-delivery", now=NOW).created
    out = io.StringIO()
    assert export_invitations_csv(bookshop, settings, "post-delivery", out) == created
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert len(rows) == created
    first = rows[0]
    assert first["email"].endswith("@example.org")
    assert first["link"].endswith(first["token"])
    expected = {"it": "Libreria Esperia: com'è andata la consegna?",
                "en": "Libreria Esperia: how did the delivery go?"}  # fmt: skip
    assert all(r["subject"] == expected[r["language"]] for r in rows)


def test_a_survey_without_trigger_cannot_invite(bookshop, settings):
    survey = get_survey(bookshop, "post-delivery")
    save_survey(bookshop, dataclasses.replace(survey, trigger=None))
    with pytest.raises(InvalidInput, match="has no trigger"):
        create_invitations(bookshop, settings, "post-delivery", now=NOW)

"""The follow-up survey of a resolved case: a real one-time invitation."""

from __future__ import annotations

import pytest
from support.act_data import seed_world

from esperia.act import system_viewer
from esperia.act.cases import create_case, request_followup, resolve_case
from esperia.config import Settings
from esperia.errors import InvalidInput
from esperia.store import Store
from esperia.surveys import import_examples, list_invitations, load_response

ADMIN = system_viewer("tester")


def _resolved(store: Store, settings: Settings, customer: str = "C-LATE") -> int:
    case = create_case(store, settings, ADMIN, customer_id=customer,
                       reason="late_delivery", touchpoint_id="TP-COURIER")  # fmt: skip
    resolve_case(store, settings, ADMIN, case["case_id"], "voucher sent")
    return int(case["case_id"])


def test_followup_creates_an_invitation_on_the_care_survey(
    store: Store, settings: Settings
) -> None:
    seed_world(store, settings)
    import_examples(store, actor="test")
    case_id = _resolved(store, settings)
    followup = request_followup(store, settings, ADMIN, case_id)
    assert followup["status"] == "link_created"
    base = settings.public_url.rstrip("/") + "/s/"
    assert followup["link"].startswith(base)
    token = followup["link"][len(base) :]
    invites = list_invitations(store, settings, "post-care")
    mine = [i for i in invites if i["token"] == token]
    assert len(mine) == 1
    assert mine[0]["customer_id"] == "C-LATE"
    assert mine[0]["touchpoint_id"] == "TP-COURIER"
    assert mine[0]["email"] == "lia@example.it"
    response = load_response(store, token)
    assert response.survey.id == "post-care" and not response.completed
    assert response.customer_id == "C-LATE"


def test_without_a_survey_the_request_is_only_recorded(
    store: Store, settings: Settings
) -> None:
    seed_world(store, settings)
    case_id = _resolved(store, settings)
    followup = request_followup(store, settings, ADMIN, case_id)
    assert followup == {"case_id": case_id, "status": "requested", "link": None}


def test_configured_survey_and_consent_are_checked(
    store: Store, settings: Settings
) -> None:
    seed_world(store, settings)
    import_examples(store, actor="test")
    missing = settings.model_copy(update={"act_followup_survey": "nope"})
    with pytest.raises(InvalidInput, match="act_followup_survey = 'nope'"):
        request_followup(store, missing, ADMIN, _resolved(store, settings))
    chosen = settings.model_copy(update={"act_followup_survey": "post-delivery"})
    link = request_followup(store, chosen, ADMIN, _resolved(store, settings))["link"]
    token = link.rsplit("/", 1)[1]
    assert load_response(store, token).survey.id == "post-delivery"
    refused = _resolved(store, settings, customer="C-NOCONSENT")
    with pytest.raises(InvalidInput, match="not consented"):
        request_followup(store, settings, ADMIN, refused)
    with store.connect() as conn:
        assert not conn.scalar(
            "SELECT count(*) FROM survey_invitations WHERE customer_id = 'C-NOCONSENT'"
        )

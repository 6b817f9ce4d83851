"""Surveys: definitions (YAML), triggers and invitations, respondent pages, results."""

from esperia.surveys.catalog import (
    EXAMPLES,
    delete_survey,
    get_survey,
    import_examples,
    import_survey_file,
    list_surveys,
    save_survey,
)
from esperia.surveys.definition import (
    load_survey_file,
    parse_survey,
    survey_from_dict,
    survey_to_dict,
    survey_to_yaml,
)
from esperia.surveys.followup import followup_link
from esperia.surveys.invitations import (
    InviteResult,
    create_invitations,
    create_open_response,
    export_invitations_csv,
    invitation_link,
    list_invitations,
)
from esperia.surveys.mailer import MailError, SendResult, send_invitations
from esperia.surveys.model import Condition, Option, Question, Survey, Trigger
from esperia.surveys.qr import qr_svg
from esperia.surveys.responses import Response, load_response, submit_screen
from esperia.surveys.results import list_responses, survey_results

__all__ = [
    "EXAMPLES",
    "Condition",
    "InviteResult",
    "MailError",
    "Option",
    "Question",
    "Response",
    "SendResult",
    "Survey",
    "Trigger",
    "create_invitations",
    "create_open_response",
    "delete_survey",
    "export_invitations_csv",
    "followup_link",
    "get_survey",
    "import_examples",
    "import_survey_file",
    "invitation_link",
    "list_invitations",
    "list_responses",
    "list_surveys",
    "load_response",
    "load_survey_file",
    "parse_survey",
    "qr_svg",
    "save_survey",
    "send_invitations",
    "submit_screen",
    "survey_from_dict",
    "survey_results",
    "survey_to_dict",
    "survey_to_yaml",
]

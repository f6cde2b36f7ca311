"""How the case pages present and read things: dates and times typed into forms, sort headers, pagination,
the case page's checklist, actions and timeline, and each action form's checks (no database, no HTTP)."""

from datetime import UTC, date, datetime, time

import pytest

from services.casework.adapters.queries import CasePage, Sort, SortKey, TimelineEntry
from services.casework.domain.access import Actor, Role
from services.casework.domain.case import Case
from services.casework.domain.checklist import STANDARD_CHECKS, WHEREABOUTS_UNKNOWN_CHECKS, CheckGroup, CheckType
from services.casework.domain.errors import InvalidTransition
from services.casework.domain.records import CaseFlags, ClosureDetails
from services.casework.domain.vocabulary import (
    CheckStatus,
    ClosureReason,
    ContactMethod,
    ContactResult,
    EscalationKind,
    Status,
)
from services.casework.entrypoints.web.pages_actions import (
    check_choices,
    missing_mondays_problems,
    read_allocation,
    read_check,
    read_closure,
    read_contact,
    read_escalation,
    read_note,
    result_hint,
)
from services.casework.entrypoints.web.pages_cases import (
    available_actions,
    checklist_groups,
    checklist_progress,
    people_on,
    timeline_text,
)
from services.casework.entrypoints.web.pages_common import (
    actor_name,
    date_error,
    date_only,
    pagination,
    parse_date_fields,
    parse_time_of_day,
    plain_message,
    sort_header,
)
from services.casework.service_layer.officer_actions import CheckEntry, ClosureEntry, EscalationEntry
from services.casework.tests import factories

TODAY = date(2026, 11, 27)


def actor(*roles: Role) -> Actor:
    return Actor("user-1", frozenset(roles), "team-1")


# ---------------------------------------------------------------------- dates and times


@pytest.mark.parametrize(
    ("fields", "expected"),
    [(("27", "11", "2026"), date(2026, 11, 27)), ((" 1", "2 ", "2026"), date(2026, 2, 1)),
     (("31", "2", "2026"), None), (("1", "1", "26"), None), (("a", "1", "2026"), None), (("", "", ""), None)],
)
def test_a_date_input_makes_a_date_only_when_its_three_fields_do(fields: tuple[str, str, str],
                                                                  expected: date | None) -> None:
    assert parse_date_fields(*fields) == expected


def test_a_date_input_says_what_is_wrong_in_the_gov_uk_style() -> None:
    def check(day: str, month: str, year: str) -> tuple[date | None, str | None]:
        return date_error({"on-day": day, "on-month": month, "on-year": year}, "on", "date of the check", TODAY)

    assert check("27", "11", "2026") == (TODAY, None)
    assert check("", "", "") == (None, "Enter the date of the check")
    assert check("30", "2", "2026") == (None, "The date of the check must be a real date, for example 27 3 2026")
    assert check("28", "11", "2026") == (None, "The date of the check must be today or in the past")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("14:30", time(14, 30)), ("14.30", time(14, 30)), ("2:30pm", time(14, 30)), ("2:30 PM", time(14, 30)),
     ("9am", time(9, 0)), ("12am", time(0, 0)), ("12pm", time(12, 0)), ("7", time(7, 0)),
     ("25:00", None), ("13pm", None), ("0am", None), ("noon", None), ("14:60", None)],
)
def test_times_are_read_as_officers_write_them(text: str, expected: time | None) -> None:
    assert parse_time_of_day(text) == expected


def test_moments_are_shown_as_their_day_in_the_uk() -> None:
    assert date_only(datetime(2026, 6, 30, 23, 30, tzinfo=UTC)) == "1 July 2026"
    assert date_only(date(2026, 11, 27)) == "27 November 2026"
    assert date_only(None) == ""


def test_domain_errors_read_as_sentences_about_this_case() -> None:
    error = InvalidTransition("case abc-123 must be allocated before you record a check")
    assert plain_message(error, "abc-123") == "This case must be allocated before you record a check"


def test_timeline_actors_are_named() -> None:
    names = {"user-1": "Casey Fernbrook"}
    assert actor_name("user-1", names) == "Casey Fernbrook"
    assert actor_name("system", names) == "Casework"
    assert actor_name("review", names) == "Missing Mondays review"
    assert actor_name("someone-else", names) == "someone-else"


# ---------------------------------------------------------------------- lists


def test_the_sorted_column_header_reverses_its_order_and_says_so_with_aria_sort() -> None:
    current = Sort(SortKey.DUE_DATE)
    params = {"q": "ash", "page": "3"}

    sorted_column = sort_header(SortKey.DUE_DATE, current, params)
    other_column = sort_header(SortKey.PRIORITY, current, params)

    assert sorted_column["attributes"] == {"aria-sort": "ascending"}
    assert 'href="/cases?q=ash&amp;sort=due_date&amp;order=desc"' in str(sorted_column["html"])
    assert other_column["attributes"] == {"aria-sort": "none"}
    assert 'href="/cases?q=ash&amp;sort=priority"' in str(other_column["html"])
    descending = sort_header(SortKey.DUE_DATE, Sort(SortKey.DUE_DATE, descending=True), params)
    assert descending["attributes"] == {"aria-sort": "descending"}
    assert "order=desc" not in str(descending["html"])


def test_pagination_shows_first_last_current_and_neighbours_with_ellipses() -> None:
    options = pagination(CasePage([], total=250, page=5, page_size=25), "/cases", {"q": "ash"})

    assert options is not None
    numbers = [item.get("number", "...") for item in options["items"]]
    assert numbers == [1, "...", 4, 5, 6, "...", 10]
    assert options["items"][0]["href"] == "/cases?q=ash"
    assert options["previous"] == {"href": "/cases?q=ash&page=4"}
    assert options["next"] == {"href": "/cases?q=ash&page=6"}
    assert [item["current"] for item in options["items"] if "number" in item] == [False, False, True, False, False]


def test_one_page_needs_no_pagination_and_the_last_page_has_no_next() -> None:
    assert pagination(CasePage([], total=25, page=1, page_size=25), "/cases", {}) is None
    last = pagination(CasePage([], total=26, page=2, page_size=25), "/cases", {})
    assert last is not None and "next" not in last and last["previous"] == {"href": "/cases"}


# ---------------------------------------------------------------------- case page


def test_the_checklist_lists_every_check_by_group_with_its_latest_record() -> None:
    case = factories.allocated_case()
    factories.record_checks(case, [CheckType.HOME_VISIT, CheckType.EHCP])

    groups = checklist_groups(case)

    assert [group.group for group in groups] == list(CheckGroup)
    lines = {line.check: line for group in groups for line in group.lines}
    assert len(lines) == len(CheckType)
    assert lines[CheckType.HOME_VISIT].state == "done"
    assert lines[CheckType.EHCP].state == "not_applicable"
    assert lines[CheckType.NAFN].state == "outstanding" and lines[CheckType.NAFN].record is None
    assert checklist_progress(case) == (2, len(STANDARD_CHECKS))


def test_whereabouts_unknown_checks_count_towards_progress_once_the_flag_is_set() -> None:
    case = factories.allocated_case(flags=CaseFlags(whereabouts_unknown=True))
    assert checklist_progress(case) == (0, len(STANDARD_CHECKS) + len(WHEREABOUTS_UNKNOWN_CHECKS))


def test_each_role_is_offered_only_the_actions_it_may_take_in_the_cases_status() -> None:
    triaged = factories.open_case()
    allocated = factories.allocated_case(flags=CaseFlags(open_to_social_care=True))

    def keys(case: Case, *roles: Role) -> list[str]:
        return [action.key for action in available_actions(case, actor(*roles))]

    assert keys(triaged, Role.ENGAGEMENT_MANAGER) == ["allocate", "add-note", "escalate", "close"]
    assert keys(triaged, Role.CME_OFFICER) == ["add-note", "close"]
    assert keys(allocated, Role.CME_OFFICER) == [
        "record-check", "record-contact", "liaise-with-social-worker", "add-note", "close"]
    assert keys(allocated, Role.GROUP_MANAGER) == []
    assert next(a.text for a in available_actions(allocated, actor(Role.ENGAGEMENT_MANAGER))) == "Reallocate"
    allocated.close(ClosureReason.OTHER, factories.OFFICER, factories.at(days=3),
                    ClosureDetails(text="Test closure"))
    assert keys(allocated, Role.LEAD_OFFICER) == ["add-note"]


def test_timeline_summaries_name_officers_by_name() -> None:
    names = {"officer-1": "Casey Fernbrook", "officer-2": "Robin Tallowmere"}
    assert timeline_text("Reallocated from officer officer-1 to officer officer-2", names) == (
        "Reallocated from Casey Fernbrook to Robin Tallowmere")
    assert timeline_text("Allocated to officer unknown-9", names) == "Allocated to officer unknown-9"


def test_the_people_a_case_page_names_are_looked_up_together() -> None:
    case = factories.allocated_case()
    case.add_note("A note", "lead-1", factories.at(days=2))
    entry = TimelineEntry(factories.at(), "case.allocated", "manager-1", "Reallocated from officer old-1 to officer "
                          f"{factories.OFFICER}", "casework")
    assert people_on(case, [entry]) == {"manager-1", "old-1", factories.OFFICER, "lead-1"}


# ---------------------------------------------------------------------- reading the action forms


def test_allocation_needs_an_officer() -> None:
    assert read_allocation({}, TODAY) == (None, {"officer": "Select the officer to allocate the case to"})
    assert read_allocation({"officer": "officer-2"}, TODAY) == ("officer-2", {})


def test_a_done_check_needs_its_outcome_and_the_school_discussion_its_safeguarding_answer() -> None:
    values = {"check": "leaver_form_or_school_discussion", "status": "done", "on-day": "26", "on-month": "11",
              "on-year": "2026", "outcome": "", "note": ""}
    entry, errors = read_check(values, TODAY)
    assert entry is None
    assert list(errors) == ["outcome", "school_concern"]

    entry, errors = read_check({**values, "outcome": "School had no concerns", "school_concern": "no"}, TODAY)
    assert errors == {}
    assert entry == CheckEntry(CheckType.LEAVER_FORM_OR_SCHOOL_DISCUSSION, CheckStatus.DONE, date(2026, 11, 26),
                               "School had no concerns", "", False)


def test_a_not_applicable_check_needs_a_note_and_ignores_a_safeguarding_answer() -> None:
    values = {"check": "ehcp", "status": "not_applicable", "on-day": "27", "on-month": "11", "on-year": "2026",
              "school_concern": "yes"}
    assert read_check(values, TODAY) == (None, {"note": "Enter why the check is not applicable"})
    entry, _ = read_check({**values, "note": "No plan"}, TODAY)
    assert entry is not None and entry.school_safeguarding_concern is None


def test_a_contact_result_must_fit_its_method_and_the_contact_be_in_the_past() -> None:
    values = {"method": "letter", "result": "child_seen", "when-day": "27", "when-month": "11",
              "when-year": "2026", "time": "9am"}
    _, errors = read_contact(values, TODAY)
    assert errors["result"].startswith("A contact by letter cannot have the result 'child seen'")

    entry, errors = read_contact({**values, "result": "returned_undelivered", "when-day": "20"}, TODAY)
    assert errors == {}
    assert entry is not None
    assert (entry.method, entry.result, entry.at.hour) == (ContactMethod.LETTER, ContactResult.RETURNED_UNDELIVERED, 9)
    assert entry.at.tzinfo is not None


def test_notes_must_have_text_and_a_limit() -> None:
    assert read_note({"note": ""}, TODAY) == (None, {"note": "Enter the note"})
    assert read_note({"note": "x" * 10_001}, TODAY) == (None, {"note": "Enter no more than 10,000 characters"})
    assert read_note({"note": "Seen at the library"}, TODAY) == ("Seen at the library", {})


def test_only_missing_mondays_asks_for_the_two_scores() -> None:
    assert read_escalation({"kind": "fap", "cme_score": "9"}, TODAY) == (
        EscalationEntry(EscalationKind.FAP, "", None, None), {})
    _, errors = read_escalation({"kind": "missing_mondays", "cme_score": "0"}, TODAY)
    assert errors == {"cme_score": "Select the CME score, from 1 to 5",
                      "safeguarding_score": "Select the safeguarding score, from 1 to 5"}
    entry, _ = read_escalation({"kind": "missing_mondays", "cme_score": "5", "safeguarding_score": "1"}, TODAY)
    assert entry == EscalationEntry(EscalationKind.MISSING_MONDAYS, "", 5, 1)


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        ({}, {"reason": "Select why the case is closing"}),
        ({"reason": "registered_into_provision", "school_id": "88520"},
         {"school_id": "Enter the school's establishment number as 7 digits, for example 8852001"}),
        ({"reason": "moved_to_other_la", "acknowledged": "no"},
         {"la_name": "Enter the name of the local authority, or its code"}),
        ({"reason": "duplicate"}, {"duplicate_reference": "Enter the reference of the case this one duplicates"}),
        ({"reason": "other"}, {"details": "Enter the reason for closing the case"}),
    ],
)
def test_each_closure_reason_asks_for_its_own_details(values: dict[str, str], errors: dict[str, str]) -> None:
    assert read_closure(values, TODAY) == (None, errors)


def test_closure_details_keep_only_the_fields_of_the_chosen_reason() -> None:
    entry, _ = read_closure({"reason": "moved_to_other_la", "la_name": "Demoshire", "la_code": "999",
                             "acknowledged": "yes", "school_id": "8852001", "destination_country": "Spain"}, TODAY)
    assert entry == ClosureEntry(ClosureReason.MOVED_TO_OTHER_LA, ClosureDetails(
        la_name="Demoshire", la_code="999", acknowledged=True))


# ---------------------------------------------------------------------- what the forms show


def test_missing_mondays_problems_are_explained_before_the_officer_tries() -> None:
    case = factories.allocated_case()
    problems = missing_mondays_problems(case)
    assert problems[0] == "The case must be in enquiries: allocate it and record the checks first"
    assert problems[1].startswith("Record every check first. Outstanding: Leaver form or discussion with school")

    factories.record_checks(case, [*STANDARD_CHECKS, *WHEREABOUTS_UNKNOWN_CHECKS])
    assert case.status is Status.ENQUIRIES
    assert missing_mondays_problems(case) == []


def test_the_check_radios_are_grouped_and_say_which_checks_are_recorded() -> None:
    case = factories.allocated_case()
    factories.record_checks(case, [CheckType.NHS_SAFEGUARDING])

    items = check_choices(case)

    assert next(item["divider"] for item in items if "divider" in item) == "Education"
    assert len([item for item in items if "value" in item]) == len(CheckType)
    recorded = next(item for item in items if item.get("value") == "nhs_safeguarding")
    assert recorded["hint"]["text"].startswith("Recorded as done on ")


def test_each_contact_result_says_which_methods_can_give_it() -> None:
    assert result_hint(ContactResult.CHILD_SEEN) == "By home visit"
    assert result_hint(ContactResult.NO_RESPONSE) == "By email, phone, letter or home visit"

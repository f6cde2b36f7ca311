"""The case list's search, filters, sort and scope, as values and as the SQL they become (no database)."""

from datetime import date

import pytest
from sqlalchemy import ColumnElement
from sqlalchemy.dialects import postgresql

from services.casework.adapters.queries import (
    ALL,
    OPEN,
    UNALLOCATED,
    CaseFilters,
    CasePage,
    Scope,
    Search,
    SearchKind,
    Sort,
    SortKey,
    parse_date_of_birth,
    parse_search,
    search_condition,
)
from services.casework.domain.vocabulary import Priority, Track

TODAY = date(2026, 11, 27)


def sql(condition: ColumnElement[bool]) -> str:
    """The condition as PostgreSQL, with its parameters written in as quoted values and without the LIKEs'
    ESCAPE clauses (every LIKE has one), for reading."""
    compiled = condition.compile(dialect=postgresql.dialect(), compile_kwargs={"render_postcompile": True})
    text = str(compiled).replace(" ESCAPE '\\\\'", "")
    for name, value in sorted(compiled.params.items(), key=lambda item: -len(item[0])):
        text = text.replace(f"%({name})s", f"'{value}'")
    return text


# ---------------------------------------------------------------------- search


@pytest.mark.parametrize("text", ["B801200005001", "b801200005001", " B801 2000 05001 ", "A12345678901X"])
def test_thirteen_characters_with_a_letter_first_are_a_upn(text: str) -> None:
    search = parse_search(text)
    assert search is not None and search.kind is SearchKind.UPN
    assert search.upn == text.replace(" ", "").upper()


@pytest.mark.parametrize(
    "text",
    ["27/11/2015", "27-11-2015", "27.11.2015", "27 11 2015", "2015-11-27", "27/11/15", "27 November 2015",
     "27 nov 2015", "27th Nov. 2015", "27 Sept 2015".replace("Sept", "November")],
)
def test_common_ways_of_writing_a_date_of_birth_are_recognised(text: str) -> None:
    search = parse_search(text)
    assert search == Search(SearchKind.DATE_OF_BIRTH, date_of_birth=date(2015, 11, 27))


@pytest.mark.parametrize("text", ["31/02/2015", "2015-13-01", "27 Novembre 2015", "27/11", "1/1/1"])
def test_something_that_is_not_a_real_date_is_not_a_date_of_birth(text: str) -> None:
    assert parse_date_of_birth(text) is None


def test_anything_else_searches_names_case_folded_word_by_word() -> None:
    assert parse_search("  Smith,   MARY-Ann ") == Search(SearchKind.NAME, name_tokens=("smith", "mary-ann"))
    assert parse_search("   ") is None


def test_one_word_matches_the_start_of_the_given_or_the_family_name() -> None:
    rendered = sql(search_condition(Search(SearchKind.NAME, name_tokens=("ash",))))
    assert "cases.given_name_key LIKE 'ash%'" in rendered
    assert "cases.family_name_key LIKE 'ash%'" in rendered
    assert " OR " in rendered


def test_two_words_match_given_and_family_names_either_way_round_or_the_whole_name() -> None:
    rendered = sql(search_condition(Search(SearchKind.NAME, name_tokens=("mary", "ann", "smith"))))
    assert "cases.given_name_key LIKE 'mary%' AND cases.family_name_key LIKE 'smith%'" in rendered
    assert "cases.family_name_key LIKE 'mary%' AND cases.given_name_key LIKE 'smith%'" in rendered
    assert "cases.search_name LIKE 'mary ann smith%'" in rendered


def test_wildcards_typed_in_a_name_are_matched_literally() -> None:
    condition = search_condition(Search(SearchKind.NAME, name_tokens=("50%_",)))
    assert "ESCAPE" in str(condition.compile(dialect=postgresql.dialect()))
    rendered = sql(condition)
    assert "cases.given_name_key LIKE '50\\%\\_%'" in rendered


def test_upn_and_date_of_birth_searches_are_exact_matches_on_their_columns() -> None:
    assert sql(search_condition(Search(SearchKind.UPN, upn="B801200005001"))) == "cases.upn = 'B801200005001'"
    dob = sql(search_condition(Search(SearchKind.DATE_OF_BIRTH, date_of_birth=date(2015, 11, 27))))
    assert dob.startswith("cases.date_of_birth = ")
    assert "2015-11-27" in dob


# ---------------------------------------------------------------------- filters


def test_filters_default_to_every_open_case() -> None:
    filters = CaseFilters.from_query({}, TODAY)
    assert filters == CaseFilters()
    assert [sql(condition) for condition in filters.conditions()] == ["cases.status != 'closed'"]
    assert filters.query_params() == {}


def test_filters_are_read_from_the_query_and_kept_for_links() -> None:
    params = {"status": "enquiries", "priority": "P1", "track": "exclusion_ap", "officer": "officer-7",
              "school": "  Brackenfold   Primary ", "q": " Ash ", "overdue": "yes"}
    filters = CaseFilters.from_query(params, TODAY)

    assert filters == CaseFilters(status="enquiries", priority=Priority.P1, track=Track.EXCLUSION_AP,
                                  officer="officer-7", school="Brackenfold Primary", search_text="Ash",
                                  overdue_on=TODAY)
    assert filters.query_params() == {**params, "school": "Brackenfold Primary", "q": "Ash"}
    rendered = " AND ".join(sql(condition) for condition in filters.conditions())
    for expected in ("cases.status = 'enquiries'", "cases.priority = 'P1'", "cases.track = 'exclusion_ap'",
                     "cases.officer_id = 'officer-7'", "cases.school_name_key LIKE 'brackenfold primary%'",
                     "cases.working_due_date < '2026-11-27'", "cases.given_name_key LIKE 'ash%'"):
        assert expected in rendered


def test_values_that_are_not_options_are_ignored() -> None:
    filters = CaseFilters.from_query({"status": "lost", "priority": "P9", "track": "nowhere", "overdue": "1"}, TODAY)
    assert filters == CaseFilters()


def test_status_all_includes_closed_cases_and_unallocated_finds_cases_without_an_officer() -> None:
    filters = CaseFilters.from_query({"status": ALL, "officer": UNALLOCATED}, TODAY)
    assert [sql(condition) for condition in filters.conditions()] == ["cases.officer_id IS NULL"]
    assert filters.query_params() == {"status": ALL, "officer": UNALLOCATED}
    assert CaseFilters.from_query({"status": OPEN}, TODAY).query_params() == {}


def test_a_seven_digit_school_is_its_establishment_number() -> None:
    filters = CaseFilters.from_query({"school": "8852001"}, TODAY)
    assert "cases.school_id = '8852001'" in [sql(condition) for condition in filters.conditions()]


# ---------------------------------------------------------------------- sort, scope, pages


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, Sort(SortKey.DUE_DATE, descending=False)),
        ({"sort": "priority"}, Sort(SortKey.PRIORITY, descending=False)),
        ({"sort": "opened", "order": "desc"}, Sort(SortKey.OPENED, descending=True)),
        ({"sort": "name"}, Sort(SortKey.DUE_DATE, descending=False)),
    ],
)
def test_sort_is_read_from_the_query(params: dict[str, str], expected: Sort) -> None:
    assert Sort.from_query(params) == expected


def test_every_sort_ends_with_the_case_id_so_pages_never_overlap() -> None:
    for key in SortKey:
        for descending in (False, True):
            columns = [str(column.compile(dialect=postgresql.dialect())) for column in Sort(key, descending).columns()]
            assert columns[-1] == ("cases.case_id DESC" if descending else "cases.case_id")
    assert [str(c) for c in Sort(SortKey.PRIORITY).columns()] == ["cases.priority", "cases.due_date", "cases.case_id"]


def test_scope_is_every_case_or_only_the_named_officers_cases() -> None:
    assert Scope(None).sees_all
    assert sql(Scope(None).condition()) == "true"
    assert sql(Scope(frozenset()).condition()) == "false"
    assert sql(Scope(frozenset({"b", "a"})).condition()) == "cases.officer_id IN ('a', 'b')"


@pytest.mark.parametrize(
    ("total", "page", "pages", "first", "last"),
    [(0, 1, 1, 0, 0), (1, 1, 1, 1, 1), (25, 1, 1, 1, 25), (26, 2, 2, 26, 26), (100_000, 4000, 4000, 99_976, 100_000)],
)
def test_a_page_knows_how_many_pages_there_are_and_which_rows_it_shows(
    total: int, page: int, pages: int, first: int, last: int
) -> None:
    result = CasePage([], total, page, 25)
    assert (result.pages, result.first_number, result.last_number) == (pages, first, last)

"""The projection's rows for school returns follow domain/facts.py's `FactsFromEvents` mapping: from a generated
history's events, the accepted and rejected returns the read model keeps agree with the fold field by field, except
what reporting cannot see without the raw submission topics (when the school sent it, the previous school)."""

from services.reporting.domain.facts import FactsFromEvents, ReturnType
from services.reporting.service_layer.school_facts import school_fact_row
from tests.support.reporting_history import generate_history


def test_the_school_return_rows_agree_with_the_facts_from_events() -> None:
    history = generate_history(seed=3, schools=6, years=1, first_school_year=2024, returns_per_school_year=30)
    fold = FactsFromEvents()
    rows: dict[str, dict[str, object]] = {}
    for each in history.events():
        fold.add(each.event)
        row = school_fact_row(each.event)
        if row is not None and row[0] == "school_returns":
            rows[str(row[1]["submission_id"])] = row[1]
    facts = {fact.submission_id: fact for fact in fold.submissions()}

    assert rows.keys() == facts.keys()
    assert any(fact.rejected for fact in facts.values()) and any(not fact.rejected for fact in facts.values())
    for submission_id, fact in facts.items():
        row = rows[submission_id]
        assert (row["school_id"], ReturnType(str(row["return_type"])), row["rejected"]) == (
            fact.school_id, fact.return_type, fact.rejected
        )
        if fact.rejected:
            assert tuple(row["problems"]) == fact.problems  # type: ignore[call-overload]
        else:
            assert (row["effective_date"], row["child_id"], row["nc_year"], row["ground"], row["ground_2024"]) == (
                fact.effective_date, fact.child_id, fact.nc_year, fact.ground, fact.ground_2024
            )

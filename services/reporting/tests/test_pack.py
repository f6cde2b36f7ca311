"""The weekly pack's numbers, from hand-made facts (pure domain, no I/O)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from services.reporting.domain.pack import (
    AgendaItem,
    CaseFact,
    EscalationFact,
    Facts,
    ReferralFact,
    StatusChange,
    build_pack,
    pack_tables,
    suppress_table,
    suppressed,
)

MONDAY = date(2026, 11, 2)  # GMT: the week runs 2 Nov 00:00Z to 9 Nov 00:00Z


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def facts() -> Facts:
    return Facts(
        referrals=[
            ReferralFact(at(2), "leaver", "9(1)(g)"),
            ReferralFact(at(8, 23), "leaver", "9(1)(h)"),
            ReferralFact(at(5), "professional_referral", None),
            ReferralFact(at(9, 0), "leaver", "9(1)(g)"),  # next week: the end is exclusive
            ReferralFact(at(1, 23), "leaver", "9(1)(g)"),  # the week before
        ],
        cases=[
            # open all week, priority raised on Wednesday, past its due date
            CaseFact("a", at(1) - timedelta(days=30), "P3", "cme_enquiry", due_date=date(2026, 11, 4),
                     changes=(StatusChange(at(4), "enquiries", "P1"),)),
            # whereabouts unknown, located on Thursday, still open
            CaseFact("b", at(1) - timedelta(days=10), "P2", "cme_enquiry",
                     whereabouts_unknown_since=at(1) - timedelta(days=10), located_at=at(5)),
            # whereabouts unknown throughout
            CaseFact("c", at(3), "P1", "exclusion_ap", whereabouts_unknown_since=at(3)),
            # located and closed in the week
            CaseFact("d", at(1) - timedelta(days=4), "P2", "cme_enquiry",
                     whereabouts_unknown_since=at(1) - timedelta(days=4), located_at=at(6), closed_at=at(7),
                     close_reason="registered_into_provision"),
            # closed before the week
            CaseFact("e", at(1) - timedelta(days=40), "P3", "cme_enquiry", closed_at=at(1),
                     close_reason="moved_abroad"),
            # closed after the week: still open at its end, status from before the end only
            CaseFact("f", at(2), "P3", "cme_enquiry", closed_at=at(10), close_reason="moved_abroad",
                     changes=(StatusChange(at(3), "allocated", None), StatusChange(at(9, 1), "enquiries", None))),
        ],
        escalations=[EscalationFact(at(3), "fap"), EscalationFact(at(4), "s19"), EscalationFact(at(4), "fap"),
                     EscalationFact(at(12), "sao")],
        agenda=[AgendaItem("r1", "c", MONDAY, "Amelia Ashdown", date(2014, 5, 1), "agenda_item_added", None)],
    )


def test_the_week_counts_each_figure_by_its_definition() -> None:
    pack = build_pack(MONDAY, facts())
    assert pack.new_referrals == 3
    assert pack.referrals_by_source == {"leaver": 2, "professional_referral": 1}
    assert pack.referrals_by_ground == {"9(1)(g)": 1, "9(1)(h)": 1, "none given": 1}
    assert pack.open_cases == 4  # a, b, c, f
    assert pack.open_by_priority == {"P1": 2, "P2": 1, "P3": 1}
    assert pack.open_by_status == {"triaged": 2, "allocated": 1, "enquiries": 1}
    assert pack.open_by_track == {"cme_enquiry": 3, "exclusion_ap": 1}
    assert pack.past_due == 1
    assert pack.whereabouts_unknown == 1  # c: b and d were located
    assert {each.how: (each.count, each.median_days) for each in pack.located} == {
        "still open": (1, 14.0), "registered_into_provision": (1, 9.0),
    }
    assert pack.closures_by_reason == {"registered_into_provision": 1}
    assert pack.escalations_by_kind == {"fap": 2, "s19": 1}
    assert [item.child_name for item in pack.agenda] == ["Amelia Ashdown"]


def test_the_trend_ends_with_the_week_and_agrees_with_it() -> None:
    pack = build_pack(MONDAY, facts())
    assert len(pack.trend) == 52 and len(pack.short_trend) == 12
    last = pack.trend[-1]
    assert last.week_start == MONDAY
    assert (last.new_referrals, last.open_at_end, last.whereabouts_unknown_at_end) == (3, 4, 1)
    assert (last.opened, last.closed) == (2, 1)
    before = pack.trend[-2]
    # The week before: e closed on its Sunday; a, b and d were open, b and d with whereabouts unknown.
    assert (before.new_referrals, before.closed, before.open_at_end, before.whereabouts_unknown_at_end) == (1, 1, 3, 2)


def test_the_counts_only_version_has_no_agenda_and_suppresses_small_numbers() -> None:
    pack = build_pack(MONDAY, facts())
    assert "agenda" in [table.name for table in pack_tables(pack)]
    counts_only = [suppress_table(table) for table in pack_tables(pack, counts_only=True)]
    assert "agenda" not in [table.name for table in counts_only]
    assert not any(table.personal for table in counts_only)
    headlines = dict(counts_only[0].rows)
    assert headlines["New referrals"] == "<5" and headlines["Whereabouts unknown"] == "<5"
    located = next(table for table in counts_only if table.name == "located")
    assert all(row[2] == "" for row in located.rows), "no median from fewer than 5 children"
    flat = repr([table.rows for table in counts_only])
    assert "Amelia" not in flat


@pytest.mark.parametrize(("count", "shown"), [(0, "0"), (1, "<5"), (4, "<5"), (5, "5"), (120, "120")])
def test_small_numbers_from_1_to_4_are_suppressed(count: int, shown: str) -> None:
    assert suppressed(count) == shown


def test_a_week_starts_on_a_monday() -> None:
    with pytest.raises(ValueError, match="Monday"):
        build_pack(MONDAY + timedelta(days=1), facts())

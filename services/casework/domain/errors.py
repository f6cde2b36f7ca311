"""Errors the casework domain raises.

Messages name the rule that failed and, at most, record ids. They never carry a child's personal data, so
they are safe to log and to show to an officer.
"""


class DomainError(Exception):
    """A command broke a casework rule; nothing on the case changed."""


class InvalidTransition(DomainError):
    """The command is not allowed in the case's current status."""


class CaseClosedError(InvalidTransition):
    """The case is closed: reopen it before working it."""


class InvalidRecord(DomainError):
    """A check, contact, note or other record is incomplete or inconsistent."""


class EscalationRefused(DomainError):
    """The case does not meet the conditions for this escalation."""


class ClosureRefused(DomainError):
    """The case cannot be closed, or the outcome recorded, for the reason given."""


class ReviewDecisionRefused(DomainError):
    """A Missing Mondays decision cannot be applied to the case."""


class MoreThanOneOpenCase(DomainError):
    """A child has more than one open case, which the casework service must never allow."""

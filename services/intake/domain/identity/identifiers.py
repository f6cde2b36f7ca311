"""UPN and NHS number validation for matching.

An identifier that fails its check is treated as absent: a mistyped UPN must not be allowed to pull a
referral onto somebody else's record, and it cannot be trusted to link to the right one either.
"""

from __future__ import annotations

import re

from stdnum.gb import nhs
from stdnum.gb import upn as stdnum_upn

# stdnum.gb.upn.validate also rejects LA numbers missing from its 2011 list, which would silently drop
# genuine UPNs issued by authorities created since (838 Dorset, 839 BCP, 940-943 and others). The
# shape and the check letter are what matter for matching, so those are checked here.
_UPN_SHAPE = re.compile(r"^[A-HJ-NP-RT-Z]\d{11}[0-9A-HJ-NP-RT-Z]$")


def clean_upn(raw: str | None) -> str | None:
    """The UPN in compact upper-case form, or None when missing or failing its check letter."""
    if raw is None:
        return None
    candidate = stdnum_upn.compact(raw)
    if not _UPN_SHAPE.match(candidate):
        return None
    if stdnum_upn.calc_check_digit(candidate[1:]) != candidate[0]:
        return None
    return candidate


def is_temporary_upn(upn: str) -> bool:
    """A temporary UPN ends in a letter; schools issue one while the pupil's real UPN is unknown."""
    return upn[-1].isalpha()


def clean_nhs_number(raw: str | None) -> str | None:
    """The 10-digit NHS number, or None when missing or failing its mod-11 check."""
    if raw is None:
        return None
    candidate = nhs.compact(raw)
    return candidate if nhs.is_valid(candidate) else None

"""How the case page reads a return's leaving ground: in its own coding (2006 or 2024 regulations) and as its
2024 equivalent, from the one table of the law (contracts/reference/leaving_grounds.py). Pure."""

from dataclasses import dataclass

from contracts.reference.leaving_grounds import GROUNDS_BY_CODE, Regulations, StatutoryGround


@dataclass(frozen=True)
class GroundReading:
    code: str
    regulations: str
    """"2006" or "2024"; empty when the code is not a ground in either coding."""
    description: str
    in_2024: tuple[StatutoryGround, ...]
    """The same ground under the 2024 regulations: itself for a 2024 code; none for 8(1)(g), which has no
    successor."""

    @property
    def known(self) -> bool:
        return bool(self.regulations)


def read_ground(code: str) -> GroundReading:
    ground = GROUNDS_BY_CODE.get(code)
    if ground is None:
        return GroundReading(code, "", "", ())
    if ground.regulations is Regulations.REGS_2024:
        return GroundReading(code, ground.regulations.value, ground.description, (ground,))
    equivalents = tuple(GROUNDS_BY_CODE[other] for other in ground.equivalents)
    return GroundReading(code, ground.regulations.value, ground.description, equivalents)

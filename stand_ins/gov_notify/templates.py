"""The stand-in's templates. The ids match notify's development defaults (services/notify/settings.py); a test
checks they agree. Placeholders are Notify's ((name)) syntax."""

import re
from dataclasses import dataclass

PLACEHOLDER = re.compile(r"\(\(([^)]+)\)\)")


@dataclass(frozen=True)
class Template:
    id: str
    type: str
    name: str
    subject: str
    body: str

    @property
    def placeholders(self) -> set[str]:
        return {name.strip() for name in PLACEHOLDER.findall(self.subject + self.body)}

    def render(self, values: dict[str, str]) -> tuple[str, str]:
        def fill(text: str) -> str:
            return PLACEHOLDER.sub(lambda match: str(values.get(match.group(1).strip(), "")), text)

        return fill(self.subject), fill(self.body)


_SOCIAL_WORKER_BODY = (
    "Dear ((social_worker_name)),\n\n((authority_name))'s Children Missing Education team has ((what_happened)) for "
    "a child on your caseload: case reference ((case_reference)). A CME officer will contact you to share what each "
    "of us knows (policy section 11.2).\n"
)
_FRONT_DOOR_BODY = (
    "((authority_name))'s Children Missing Education team refers ((child_name)) (date of birth ((date_of_birth))) "
    "to the Family Front Door: ((reasons)). Referral ((referral_reference)).\n"
)
_LETTER_ADDRESS = "((address_line_1))\n((address_line_2))\n((address_line_3))\n\n"

TEMPLATES = {
    template.id: template
    for template in (
        Template(
            "8f3b5a1e-6a52-4c1e-9d3e-2f0a3b7c1001",
            "email",
            "social worker: case opened",
            "Children Missing Education case ((case_reference)) opened",
            _SOCIAL_WORKER_BODY,
        ),
        Template(
            "8f3b5a1e-6a52-4c1e-9d3e-2f0a3b7c1002",
            "email",
            "social worker: case updated",
            "Children Missing Education case ((case_reference)) updated",
            _SOCIAL_WORKER_BODY,
        ),
        Template(
            "8f3b5a1e-6a52-4c1e-9d3e-2f0a3b7c1003",
            "email",
            "Family Front Door: safeguarding referral",
            "Safeguarding referral ((referral_reference)) from Children Missing Education",
            _FRONT_DOOR_BODY,
        ),
        Template(
            "8f3b5a1e-6a52-4c1e-9d3e-2f0a3b7c2001",
            "letter",
            "social worker: case opened (letter)",
            "Children Missing Education case ((case_reference)) opened",
            _LETTER_ADDRESS + _SOCIAL_WORKER_BODY,
        ),
        Template(
            "8f3b5a1e-6a52-4c1e-9d3e-2f0a3b7c2002",
            "letter",
            "social worker: case updated (letter)",
            "Children Missing Education case ((case_reference)) updated",
            _LETTER_ADDRESS + _SOCIAL_WORKER_BODY,
        ),
        Template(
            "8f3b5a1e-6a52-4c1e-9d3e-2f0a3b7c2003",
            "letter",
            "Family Front Door: safeguarding referral (letter)",
            "Safeguarding referral ((referral_reference))",
            _LETTER_ADDRESS + _FRONT_DOOR_BODY,
        ),
    )
}

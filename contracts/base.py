"""The base every event contract extends."""

from typing import ClassVar

from pydantic import BaseModel, ConfigDict


class Event(BaseModel):
    """Data of one CloudEvent. Subclasses name their CloudEvents type and the topic they travel on.

    Readers are tolerant (unknown fields are ignored) so a producer may add optional fields within a version;
    producers' tests validate with `strict_model_config` to make sure nobody emits undeclared fields.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_type: ClassVar[str]
    topic: ClassVar[str]

    @classmethod
    def schema_name(cls) -> str:
        return cls.event_type

    @classmethod
    def dataschema(cls) -> str:
        return f"urn:cme:schema:{cls.event_type}"

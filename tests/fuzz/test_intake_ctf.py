"""The CTF route fuzzed with hostile XML: element text replaced by hostile values, entity and DOCTYPE attacks,
truncated and random files. Never a 5xx; every 4xx names a field; a pupil's problems name its CTF element."""

import re
from pathlib import Path
from uuid import uuid4
from xml.sax.saxutils import escape

import httpx
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from tests.fuzz.checks import assert_not_a_server_error, assert_problems_named
from tests.fuzz.conftest import FUZZ
from tests.fuzz.strategies import HOSTILE_STRINGS

pytestmark = [pytest.mark.integration, pytest.mark.fuzz]
SAMPLE = (Path(__file__).resolve().parents[1] / "fixtures" / "ctf" / "ctf_3_valid.xml").read_text()
TEXT = re.compile(r">([^<>]+)<")
ATTACKS = [
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
    "<CTfile>&lol2;</CTfile>",
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><CTfile>&xxe;</CTfile>',
    '<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://127.0.0.1:1/x.dtd"><CTfile/>',
    "<CTfile>" + "<a>" * 5000 + "</a>" * 5000 + "</CTfile>",
    '<?xml version="1.0" encoding="UTF-16"?><CTfile/>',
    "<CTfile><Header></CTfile>",
]


@st.composite
def hostile_ctf(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["text", "text", "raw", "attack", "truncate", "bytes"]))
    if kind == "attack":
        return draw(st.sampled_from(ATTACKS)).encode()
    if kind == "bytes":
        return draw(st.binary(max_size=300))
    if kind == "truncate":
        return SAMPLE.encode()[: draw(st.integers(0, len(SAMPLE)))]
    spans = [match.span(1) for match in TEXT.finditer(SAMPLE) if match.group(1).strip()]
    start, end = draw(st.sampled_from(spans))
    value = draw(HOSTILE_STRINGS)
    # "text" keeps the XML well-formed where XML allows the characters; "raw" puts them in unescaped.
    inserted = escape(value) if kind == "text" else value
    return (SAMPLE[:start] + inserted + SAMPLE[end:]).encode("utf-8", errors="surrogatepass")


@given(content=hostile_ctf())
@FUZZ
async def test_no_ctf_file_gets_a_server_error(content: bytes, intake_client: httpx.AsyncClient) -> None:
    response = await intake_client.post(
        "/api/v1/submissions/ctf",
        params={"submission_id": f"fuzz-ctf-{uuid4().hex}"},
        content=content,
        headers={"Content-Type": "application/xml"},
    )
    event(f"HTTP {response.status_code}")
    assert_not_a_server_error(response, content)
    assert_problems_named(response)
    if response.status_code in (200, 202):
        for problem in response.json()["problems"]:
            assert problem["field"] and problem["message"], problem

"""The scan for personal data where none may be: the spans the processes exported and their log files.

One scanner for every test that checks it (a single suite, or two authorities exchanging messages). It names where
a secret was found, never the secret itself, so a failing test does not print a child's details either.
"""

from collections.abc import Iterable, Sequence
from pathlib import Path

from tests.support.otlp import ReceivedSpan


def personal_data_found(
    secrets: Sequence[str], spans: Iterable[ReceivedSpan] = (), log_dirs: Iterable[Path] = ()
) -> list[str]:
    """Where any of `secrets` appears: `span <service>/<name>` or `<log dir>/<file>`. Empty when nowhere."""
    secrets = [secret for secret in secrets if secret]  # an empty string is found everywhere
    found = []
    for span in spans:
        text = span.name + " " + " ".join(str(value) for value in span.attributes.values())
        if any(secret in text for secret in secrets):
            found.append(f"span {span.service}/{span.name}")
    for log_dir in log_dirs:
        for log_file in sorted(log_dir.glob("*.log")):
            content = log_file.read_text(errors="replace")
            if any(secret in content for secret in secrets):
                found.append(f"{log_dir.name}/{log_file.name}")
    return found

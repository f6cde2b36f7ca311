"""The services that make up the suite, named once: the relay, the `cme` command, the AsyncAPI generator and the
tests all read this list. A new service is added here, under services/<name>/, and in deploy/k8s."""

SERVICE_NAMES: tuple[str, ...] = ("intake", "triage", "casework", "review", "notify", "reporting")

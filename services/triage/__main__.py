import sys

from cme_runtime.process import serve
from services.triage.app import MIGRATIONS, create_app
from services.triage.entrypoints import cli
from services.triage.settings import TriageSettings

if sys.argv[1:2] == [cli.COMMAND]:
    sys.exit(cli.main(sys.argv[2:], TriageSettings()))
serve(TriageSettings(), create_app, MIGRATIONS)

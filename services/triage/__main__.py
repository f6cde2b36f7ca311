import sys

from cme_runtime.process import serve
from services.triage import scheduler
from services.triage.app import MIGRATIONS, create_app
from services.triage.settings import TriageSettings

if sys.argv[1:2] == [scheduler.COMMAND]:
    sys.exit(scheduler.main(sys.argv[2:], TriageSettings()))
serve(TriageSettings(), create_app, MIGRATIONS)

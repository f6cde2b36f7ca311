from cme_runtime.process import serve
from services.triage.app import MIGRATIONS, create_app
from services.triage.settings import TriageSettings

serve(TriageSettings(), create_app, MIGRATIONS)

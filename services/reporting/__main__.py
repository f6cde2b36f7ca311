import sys

from cme_runtime.process import serve
from services.reporting.app import MIGRATIONS, create_app
from services.reporting.entrypoints import cli
from services.reporting.settings import ReportingSettings

if sys.argv[1:2] and sys.argv[1] in cli.COMMANDS:
    sys.exit(cli.main(sys.argv[1:], ReportingSettings()))
serve(ReportingSettings(), create_app, MIGRATIONS)

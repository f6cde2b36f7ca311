"""`python -m services.casework [serve|migrate|<command>]`: the service, or one of its admin commands."""

import sys

from cme_runtime.process import serve
from services.casework.app import MIGRATIONS, create_app
from services.casework.entrypoints.cli import COMMANDS
from services.casework.settings import CaseworkSettings

if len(sys.argv) > 1 and sys.argv[1] in COMMANDS:
    sys.exit(COMMANDS[sys.argv[1]](CaseworkSettings(), sys.argv[2:]))
serve(CaseworkSettings(), create_app, MIGRATIONS)

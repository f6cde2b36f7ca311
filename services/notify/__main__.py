import sys

from cme_runtime.process import serve
from services.notify.app import MIGRATIONS, create_app
from services.notify.entrypoints import cli
from services.notify.settings import NotifySettings

if sys.argv[1:2] == [cli.COMMAND]:
    sys.exit(cli.main(sys.argv[2:], NotifySettings()))
serve(NotifySettings(), create_app, MIGRATIONS)

import sys

from cme_runtime.process import serve
from services.review.app import MIGRATIONS, create_app
from services.review.entrypoints import cli
from services.review.settings import ReviewSettings

if sys.argv[1:2] == [cli.COMMAND]:
    sys.exit(cli.main(sys.argv[2:], ReviewSettings()))
serve(ReviewSettings(), create_app, MIGRATIONS)

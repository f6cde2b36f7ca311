from cme_runtime.process import serve
from services.casework.app import MIGRATIONS, create_app
from services.casework.settings import CaseworkSettings

serve(CaseworkSettings(), create_app, MIGRATIONS)

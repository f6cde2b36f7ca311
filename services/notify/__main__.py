from cme_runtime.process import serve
from services.notify.app import MIGRATIONS, create_app
from services.notify.settings import NotifySettings

serve(NotifySettings(), create_app, MIGRATIONS)

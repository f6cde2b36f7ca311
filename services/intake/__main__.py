from cme_runtime.process import serve
from services.intake.app import MIGRATIONS, create_app
from services.intake.settings import IntakeSettings

serve(IntakeSettings(), create_app, MIGRATIONS)

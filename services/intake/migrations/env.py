from cme_runtime.migrations import run_env
from services.intake.adapters.tables import metadata

run_env(metadata)

from cme_runtime.migrations import run_env
from services.reporting.adapters.tables import metadata

run_env(metadata)

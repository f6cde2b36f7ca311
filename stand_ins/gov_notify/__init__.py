"""A small GOV.UK Notify-compatible server: `python -m stand_ins.gov_notify`."""

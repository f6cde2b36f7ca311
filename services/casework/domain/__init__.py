"""Casework domain: the case aggregate, enquiry checklist, allocation, roles and the audit chain.

Pure Python: no I/O, no frameworks. Adapters persist `Case` state and drain `Case.events` into the outbox.
"""

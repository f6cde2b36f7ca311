"""Stand-ins for outside services the suite talks to, for development, demos and tests only.

Production code never imports them (an import-linter contract forbids it); they run as their own processes and
are reached over HTTP, exactly as the real services are.
"""

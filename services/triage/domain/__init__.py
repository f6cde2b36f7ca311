"""Triage domain: pure rules for reading referrals. No I/O."""

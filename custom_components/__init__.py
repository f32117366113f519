"""Custom integrations of this repository (a package so tests import them by full name)."""

"""Tests of the vendored xcom library (no Home Assistant involved)."""

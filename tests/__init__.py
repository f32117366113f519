"""Tests of the Studer-Innotec Xcom integration and its vendored xcom library."""

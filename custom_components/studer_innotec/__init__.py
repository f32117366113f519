"""The Studer-Innotec Xcom integration."""

"""An asyncio library for Studer-Innotec's Xcom (SCOM) protocol, free of Home Assistant imports."""

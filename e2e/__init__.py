"""Real-browser end-to-end test of the integration (run it with ``script/e2e``).

Home Assistant runs as a subprocess with a throw-away config dir; the integration's simulator
runs in this process and dials in like a Moxa in TCP-client mode (Xcom-LAN), so the scenario can
check what the simulated units received; Debian's Chromium, driven by Playwright, is the user.

This package lives outside ``tests/`` on purpose: ``script/test``'s pytest must not collect it
(it needs a browser, the web frontend and a minute of wall time).
"""

"""Fault, security and soak tests: Home Assistant with the integration against the simulator."""

"""Run the real state machine and handlers on this machine, without AWS or Docker."""

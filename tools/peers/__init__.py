"""Peer tools (pyIFD, the SIFT copy-move reference, ExifTool) that the benchmarks compare against.

Each runner is a script run in its own environment (``.venv-peers``, see setup.sh); this file
only lets the tests import them as modules to check that they name cases as ``vforensics eval``
does.
"""

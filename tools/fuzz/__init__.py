"""Atheris (libFuzzer) fuzz targets for the byte and metadata parsers; see _common.py."""

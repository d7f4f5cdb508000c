"""Visual Forensics: tells whether an image was manipulated, and shows where."""

__version__ = "0.1.0"
REPORT_SCHEMA = "vforensics.report/1"

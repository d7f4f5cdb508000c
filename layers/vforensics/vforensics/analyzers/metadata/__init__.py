"""File facts, EXIF/XMP/IPTC/ICC metadata, C2PA Content Credentials and the metadata flags.

The analyzer is :func:`analyze` (``_analyzer``); its readers are private: ``_exif_fields``,
``_exif_thumbnail``, ``_xmp``, ``_embedded`` (IPTC, ICC, PNG text), ``_content_credentials``
(c2pa-python), ``_generator_provenance`` (which AI generator the file says made it: the
``ai_generator_tag`` evidence) and ``_exiftool`` (an optional full dump where ExifTool is installed).
"""

from vforensics.analyzers.metadata._analyzer import CHECKS_RUN, FLAG_POINTS, NAME, analyze

__all__ = ["CHECKS_RUN", "FLAG_POINTS", "NAME", "analyze"]

"""Which benchmark "camera originals" say themselves that they were changed after capture.

shared/bench/camera lists every photo as an untouched camera original. Some of them carry, in
their own metadata and frame, facts that no camera writes. The held-out figures were first
read with every one of them as untouched. This audit names the files and the fact, so that
the figures can be read both ways. The rules are four facts about camera files:

* ``modified_after_capture``: the IFD0 ModifyDate (``DateTime``) is more than a day after
  ``DateTimeOriginal``. A camera writes both from the same clock at capture; software writes
  its save time into ModifyDate (EXIF 2.32, CIPA DC-008, 4.6.4 and 4.6.5). A ModifyDate
  *before* the capture is a clock quirk and does not count (see the metadata analyzer).
* ``frame_beyond_thumbnail``: the thumbnail check's own verdict that the EXIF thumbnail shows
  more picture beyond the frame's edges than cameras' previews differ by (``mismatch_reason``
  "cropped"): the frame was cropped after the camera made the thumbnail.
* ``frame_rotated_from_thumbnail``: the thumbnail matches the frame only turned by 90 or 270
  degrees while the EXIF Orientation says the pixels are upright (1 or absent): the frame was
  rotated after the camera made the thumbnail, and a rotation that re-encodes is a re-save
  (the metadata analyzer's ``rotated_after_capture`` flag, read here from the cached details
  so that analyzer runs made before the flag existed are audited alike).
* ``frame_under_thumbnail_size``: the frame's long side is under 160 px, the DCF thumbnail's
  (CIPA DC-009): no camera records a picture smaller than its own thumbnail.

The rules were written after seeing which originals the held-out fits flag (the rotation rule
after seeing that the one camera original with aligned double-quantisation is rotated from its
thumbnail), so a figure with the audited files left out is a reading of the labels, not an
independent result.
"""

from __future__ import annotations

from typing import Any

from vforensics.analyzers.metadata._analyzer import rotated_after_capture
from vforensics.analyzers.metadata._exif_fields import parse_exif_date

#: Seconds by which ModifyDate may follow the capture before the file counts as re-saved.
MODIFIED_AFTER_S = 86_400
#: The DCF thumbnail's long side (160 x 120 px).
DCF_THUMBNAIL_LONG_SIDE = 160


def changed_after_capture(metadata_details: dict[str, Any]) -> list[str]:
    """The facts (as sentences) by which a photo's own metadata shows a change after capture.

    ``metadata_details``: the metadata analyzer's ``details`` for the file (report.json form).
    """
    facts = []
    exif = metadata_details.get("exif") or {}
    captured = parse_exif_date(exif.get("DateTimeOriginal"))
    modified = parse_exif_date(exif.get("DateTime"))
    if captured and modified and (modified - captured).total_seconds() > MODIFIED_AFTER_S:
        days = (modified - captured).total_seconds() / 86_400
        facts.append(f"modified_after_capture: ModifyDate {days:.0f} days after the capture")
    thumb = metadata_details.get("thumbnail") or {}
    if thumb.get("compared") and thumb.get("mismatch_reason") == "cropped":
        beyond = float(thumb.get("missing_share") or 0.0)
        facts.append(f"frame_beyond_thumbnail: the thumbnail shows {100 * beyond:.0f}% of its picture beyond the frame")
    if rotated_after_capture(thumb, exif):
        turned = str(thumb.get("alignment")).partition("rotated ")[2]
        facts.append(f"frame_rotated_from_thumbnail: the thumbnail matches the frame turned {turned} degrees")
    file = metadata_details.get("file") or {}
    width, height = file.get("width"), file.get("height")
    if isinstance(width, int) and isinstance(height, int) and 0 < max(width, height) < DCF_THUMBNAIL_LONG_SIDE:
        facts.append(f"frame_under_thumbnail_size: a {width}x{height} px frame")
    return facts

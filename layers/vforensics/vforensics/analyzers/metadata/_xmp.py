"""XMP (ISO 16684-1) facts that matter for forensics, read with a streaming XML parser.

Read: ``xmp:CreatorTool``, the edit history ``xmpMM:History`` (one ``stEvt`` event per save:
action, software, time), ``photoshop:DocumentAncestors`` (the documents pasted or placed into
this one), ``Iptc4xmpExt:DigitalSourceType`` (IPTC's vocabulary: ``trainedAlgorithmicMedia``
for AI output, ``compositeSynthetic`` ...), IPTC 2025.1's ``Iptc4xmpExt:AISystemUsed`` /
``AISystemVersionUsed``, and the XMP dates.

The packet comes from strangers, so it is parsed by expat through defusedxml's SAX reader
(no DTD, no entity expansion, no external references), which does work linear in the bytes,
and at most ``MAX_XMP_BYTES`` are read. Names are matched by their local part and without
namespace processing, because real packets often use prefixes they never declare. A packet
that stops being well-formed (truncated, unclosed tags) keeps what was read before the
error and says where it broke; nothing is guessed past it.
"""

from __future__ import annotations

from typing import Any
from xml.sax import SAXParseException
from xml.sax.handler import ContentHandler
from xml.sax.xmlreader import AttributesImpl

import defusedxml.sax
from defusedxml import DefusedXmlException
from PIL import Image

MAX_XMP_BYTES = 2_000_000
MAX_VALUE_CHARS = 300
MAX_EVENTS = 1_000
REPORTED_EVENTS = 50
#: local name -> report key, for properties written as attributes or as elements
PROPERTIES = {
    "CreatorTool": "creator_tool",
    "DigitalSourceType": "digital_source_type",
    "AISystemUsed": "ai_system",
    "AISystemVersionUsed": "ai_system_version",
    "CreateDate": "create_date",
    "ModifyDate": "modify_date",
    "MetadataDate": "metadata_date",
    "OriginalDocumentID": "original_document_id",
}
EVENT_FIELDS = {"action": "action", "softwareAgent": "software", "when": "when"}


def find_packet(img: Image.Image, data: bytes) -> bytes:
    """The XMP packet Pillow found, else the first ``<x:xmpmeta>...</x:xmpmeta>`` in the bytes."""
    packet = img.info.get("xmp") or img.info.get("XML:com.adobe.xmp")
    if isinstance(packet, str):
        packet = packet.encode("utf-8", "replace")
    if isinstance(packet, bytes) and packet:
        return packet
    start = data.find(b"<x:xmpmeta")
    end = data.find(b"</x:xmpmeta>", start) if start >= 0 else -1
    return data[start : end + 12] if end > start else b""


def read_xmp(img: Image.Image, data: bytes) -> dict[str, Any]:
    """XMP facts; ``{}`` when the file has no XMP packet."""
    packet = find_packet(img, data)
    if not packet:
        return {}
    out: dict[str, Any] = {"present": True, "bytes": len(packet)}
    if len(packet) > MAX_XMP_BYTES:
        out["truncated_at"] = MAX_XMP_BYTES
    collector = _Collector()
    # invalid UTF-8 becomes U+FFFD instead of ending the parse at the first stray byte
    text = packet[:MAX_XMP_BYTES].decode("utf-8", "replace").encode("utf-8")
    try:
        defusedxml.sax.parseString(text, collector, forbid_dtd=True)
    except SAXParseException as err:
        if "truncated_at" not in out:
            out["malformed"] = f"not well-formed XML at line {err.getLineNumber()}, column {err.getColumnNumber()}"
    except DefusedXmlException:
        out["malformed"] = "a DTD, entity or external reference, which XMP never needs: not read further"
    out.update(collector.values)
    events = collector.events
    if events:
        out["history_events"] = events[:REPORTED_EVENTS]
    actions = [e.get("software") or e.get("action") for e in events]
    if events or collector.photoshop_history:
        out["history"] = "; ".join(dict.fromkeys(a for a in actions if a)) or "photoshop:History"
    if collector.ancestors_seen:
        out["document_ancestors"] = max(1, collector.ancestors)
    return out


class _Collector(ContentHandler):
    """Keeps the properties, history events and ancestor count as the parser streams by."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self.events: list[dict[str, str]] = []
        self.photoshop_history = False
        self.ancestors = 0
        self.ancestors_seen = False
        self._depth = 0
        self._history_depth = 0  # depth of the open xmpMM:History element, 0 when outside one
        self._ancestors_depth = 0
        self._event: dict[str, str] | None = None
        self._event_depth = 0
        self._capture: tuple[str, int, dict[str, str]] | None = None  # key, depth, where to store
        self._text: list[str] = []
        self._text_len = 0

    def startElement(self, name: str, attrs: AttributesImpl) -> None:  # noqa: N802 (SAX API)
        self._depth += 1
        prefix, _, local = name.rpartition(":")
        if local == "History":
            if prefix == "photoshop":
                self.photoshop_history = True
            elif not self._history_depth:
                self._history_depth = self._depth
        elif local == "DocumentAncestors" and not self._ancestors_depth:
            self._ancestors_depth = self._depth
            self.ancestors_seen = True
        elif local == "li":
            if self._ancestors_depth:
                self.ancestors += 1
            if self._history_depth and self._event is None and len(self.events) < MAX_EVENTS:
                self._event, self._event_depth = {}, self._depth
        for qname in attrs.getNames():
            self._attribute(qname.rpartition(":")[2], attrs.getValue(qname))
        if self._capture is None:
            if self._event is not None and local in EVENT_FIELDS:
                self._start_capture(EVENT_FIELDS[local], self._event)
            elif local in PROPERTIES and PROPERTIES[local] not in self.values:
                if resource := _clean(attrs.get("rdf:resource") or ""):
                    self.values[PROPERTIES[local]] = resource
                else:
                    self._start_capture(PROPERTIES[local], self.values)

    def _attribute(self, local: str, value: str) -> None:
        if not (value := _clean(value)):
            return
        if self._event is not None and local in EVENT_FIELDS:
            self._event.setdefault(EVENT_FIELDS[local], value)
        elif local in PROPERTIES:
            self.values.setdefault(PROPERTIES[local], value)

    def _start_capture(self, key: str, into: dict[str, str]) -> None:
        self._capture = (key, self._depth, into)
        self._text, self._text_len = [], 0

    def characters(self, content: str) -> None:
        if self._capture is not None and self._text_len < MAX_VALUE_CHARS:
            self._text.append(content)
            self._text_len += len(content)

    def endElement(self, name: str) -> None:  # noqa: N802 (SAX API)
        if self._capture is not None and self._capture[1] == self._depth:
            key, _, into = self._capture
            if value := _clean("".join(self._text)):
                into.setdefault(key, value)
            self._capture = None
        if self._event is not None and self._event_depth == self._depth:
            if self._event:
                self.events.append(self._event)
            self._event = None
        if self._history_depth == self._depth:
            self._history_depth = 0
        if self._ancestors_depth == self._depth:
            self._ancestors_depth = 0
        self._depth -= 1


def _clean(value: str) -> str:
    return value.strip()[:MAX_VALUE_CHARS]

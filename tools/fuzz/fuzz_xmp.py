"""Fuzz the XMP reader (expat through defusedxml's SAX reader): from Pillow's info and from a
scan of the raw bytes. Before issue 21 it read XMP with regular expressions that hung on
packets with many unclosed <rdf:li>."""

import _common
from _common import atheris

with atheris.instrument_imports(include=["vforensics", "PIL"]):
    from PIL import Image

    from vforensics.analyzers.metadata import _xmp as xmp_reader

SEED_PACKETS = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description xmp:CreatorTool="Adobe Photoshop 25.0"'
    ' xmp:CreateDate="2024-01-01T10:00:00" xmp:ModifyDate="2024-05-01T10:00:00"'
    ' xmpMM:OriginalDocumentID="xmp.did:1"><xmpMM:History><rdf:Seq>'
    '<rdf:li stEvt:action="created" stEvt:softwareAgent="Adobe Photoshop 25.0" stEvt:when="2024-01-01"/>'
    "<rdf:li><stEvt:action>saved</stEvt:action><stEvt:softwareAgent>GIMP</stEvt:softwareAgent></rdf:li>"
    "</rdf:Seq></xmpMM:History><photoshop:DocumentAncestors><rdf:Bag><rdf:li>a</rdf:li><rdf:li>b</rdf:li>"
    "</rdf:Bag></photoshop:DocumentAncestors></rdf:Description></rdf:RDF></x:xmpmeta>",
    '<x:xmpmeta><Iptc4xmpExt:DigitalSourceType rdf:resource="http://cv.iptc.org/newscodes/digitalsourcetype/'
    'trainedAlgorithmicMedia"/><Iptc4xmpExt:AISystemUsed>Midjourney</Iptc4xmpExt:AISystemUsed></x:xmpmeta>',
    "<x:xmpmeta>xmpMM:History<rdf:li stEvt:action='saved'>" + "a" * 2000 + "</x:xmpmeta>",
)


def test_one_input(data: bytes) -> None:
    img = Image.new("RGB", (1, 1))
    img.info["xmp"] = data
    xmp_reader.read_xmp(img, b"")
    xmp_reader.read_xmp(Image.new("RGB", (1, 1)), data)


def seeds():
    yield from (p.encode() for p in SEED_PACKETS)


if __name__ == "__main__":
    _common.run("xmp", test_one_input, seeds)

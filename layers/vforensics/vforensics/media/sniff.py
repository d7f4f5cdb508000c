"""Identify a file's type from its first bytes (magic numbers), never from its name."""

from dataclasses import dataclass

#: How many leading bytes ``sniff`` needs.
HEADER_BYTES = 32


@dataclass(frozen=True)
class FileType:
    format: str  # short name, e.g. "JPEG"
    mime: str
    kind: str  # "image" or "video"


JPEG = FileType("JPEG", "image/jpeg", "image")
PNG = FileType("PNG", "image/png", "image")
GIF = FileType("GIF", "image/gif", "image")
BMP = FileType("BMP", "image/bmp", "image")
TIFF = FileType("TIFF", "image/tiff", "image")
WEBP = FileType("WEBP", "image/webp", "image")
AVIF = FileType("AVIF", "image/avif", "image")
HEIC = FileType("HEIC", "image/heic", "image")
MP4 = FileType("MP4", "video/mp4", "video")
MOV = FileType("MOV", "video/quicktime", "video")
AVI = FileType("AVI", "video/x-msvideo", "video")
MKV = FileType("MKV", "video/x-matroska", "video")
WEBM = FileType("WEBM", "video/webm", "video")

IMAGE_TYPES = (JPEG, PNG, GIF, BMP, TIFF, WEBP)
#: ISO BMFF brands of still images and image sequences (HEIF, ISO/IEC 23008-12; AVIF, AV1-ISOBMFF):
#: these files start with an ``ftyp`` box like MP4 and are told apart by their brands
HEIF_BRANDS = {
    b"avif": AVIF,
    b"avis": AVIF,
    b"heic": HEIC,
    b"heix": HEIC,
    b"heim": HEIC,
    b"heis": HEIC,
    b"hevc": HEIC,
    b"hevx": HEIC,
}
GENERIC_HEIF_BRANDS = (b"mif1", b"msf1")


def sniff(header: bytes) -> FileType | None:
    """Return the type of a file from its first ``HEADER_BYTES`` bytes, or None."""
    h = header
    if h.startswith(b"\xff\xd8\xff"):
        return JPEG
    if h.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if h[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if h.startswith(b"BM") and len(h) >= 18 and int.from_bytes(h[14:18], "little") in (12, 40, 52, 56, 64, 108, 124):
        return BMP
    if h[:4] in (b"II*\x00", b"MM\x00*"):
        return TIFF
    if h[:4] == b"RIFF" and h[8:12] == b"WEBP":
        return WEBP
    if h[:4] == b"RIFF" and h[8:12] == b"AVI ":
        return AVI
    if h[4:8] == b"ftyp":
        return _iso_bmff(h)
    if h.startswith(b"\x1a\x45\xdf\xa3"):
        return WEBM if b"webm" in h else MKV
    return None


def _iso_bmff(h: bytes) -> FileType:
    """HEIC / AVIF by the major brand or, under a generic ``mif1`` / ``msf1``, a compatible one."""
    major = h[8:12]
    if major in HEIF_BRANDS:
        return HEIF_BRANDS[major]
    box_end = min(len(h), int.from_bytes(h[:4], "big"))
    compatible = [h[i : i + 4] for i in range(16, box_end - 3, 4)]
    if major in GENERIC_HEIF_BRANDS or any(b in GENERIC_HEIF_BRANDS for b in compatible):
        return next((HEIF_BRANDS[b] for b in compatible if b in HEIF_BRANDS), HEIC)
    return MOV if major == b"qt  " else MP4

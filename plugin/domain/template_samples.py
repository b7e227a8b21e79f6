"""The sample file of a media-header template (image, video or PDF), which Meta's reviewers
look at: which kinds of file each header takes, how large, and what a file really is.

Pure. The type is read from the file's first bytes (its signature), never from its name or
the browser's word for it, so a renamed file cannot pass as another kind. Meta takes a
template header sample as JPEG or PNG (image), MP4 (video) or PDF (document).
"""
from __future__ import annotations

from plugin.domain.template_drafts import HeaderKind

MB = 1024 * 1024
# The sample types Meta accepts for each media header.
SAMPLE_TYPES: dict[HeaderKind, tuple[str, ...]] = {
    HeaderKind.IMAGE: ("image/jpeg", "image/png"),
    HeaderKind.VIDEO: ("video/mp4",),
    HeaderKind.DOCUMENT: ("application/pdf",),
}
# Largest sample per kind: Meta's media caps for images (5 MB) and videos (16 MB); a PDF
# sample is held to 16 MB too (Meta allows 100) since it is stored with the draft and a
# reviewer needs a page, not a catalogue.
SAMPLE_MAX_BYTES: dict[HeaderKind, int] = {
    HeaderKind.IMAGE: 5 * MB, HeaderKind.VIDEO: 16 * MB, HeaderKind.DOCUMENT: 16 * MB}
# The largest sample of any kind (an upload request may be this big, plus the form).
LARGEST_SAMPLE = max(SAMPLE_MAX_BYTES.values())
# What the owner is told each kind takes.
SAMPLE_WORDS = {HeaderKind.IMAGE: "a JPEG or PNG image", HeaderKind.VIDEO: "an MP4 video",
                HeaderKind.DOCUMENT: "a PDF"}
# The file name Meta is told, by type (it only shows in Meta's tools).
FILE_NAMES = {"image/jpeg": "sample.jpg", "image/png": "sample.png",
              "video/mp4": "sample.mp4", "application/pdf": "sample.pdf"}


def sniff(data: bytes) -> str:
    """The MIME type the bytes' signature shows, among the sample types; '' for others."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[4:8] == b"ftyp":  # ISO base media (MP4): a box size, then "ftyp"
        return "video/mp4"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    return ""


def sample_problem(kind: HeaderKind, data: bytes) -> str:
    """Why `data` cannot be the sample of a `kind` header ('' when it can)."""
    wanted = SAMPLE_WORDS.get(kind)
    if wanted is None:
        return "Only an image, video or document header takes a sample file."
    if not data:
        return f"Choose {wanted} as the sample for WhatsApp's reviewers."
    if sniff(data) not in SAMPLE_TYPES[kind]:
        return f"This file is not {wanted}: choose {wanted}."
    cap = SAMPLE_MAX_BYTES[kind]
    if len(data) > cap:
        return (f"This file is {len(data) / MB:.1f} MB; WhatsApp takes a sample of at most "
                f"{cap // MB} MB.")
    return ""


def fits(kind: HeaderKind, content_type: str) -> bool:
    """True when a stored sample of `content_type` suits a `kind` header."""
    return content_type in SAMPLE_TYPES.get(kind, ())

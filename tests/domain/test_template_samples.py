"""A media header's sample file: its type read from its first bytes, and the kind and size
each header takes."""
from __future__ import annotations

import pytest

from plugin.domain.template_drafts import HeaderKind
from plugin.domain.template_samples import MB, fits, sample_problem, sniff

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00"
PDF = b"%PDF-1.7\n%\xe2\xe3"


@pytest.mark.parametrize(("data", "kind"), [
    (JPEG, "image/jpeg"), (PNG, "image/png"), (MP4, "video/mp4"), (PDF, "application/pdf"),
    (b"GIF89a\x01\x00", ""), (b"<svg xmlns='http://www.w3.org/2000/svg'/>", ""), (b"", ""),
    (b"PNG but not really", ""),
])
def test_the_type_is_read_from_the_signature(data: bytes, kind: str) -> None:
    assert sniff(data) == kind


def test_each_header_takes_its_own_kinds() -> None:
    assert sample_problem(HeaderKind.IMAGE, PNG) == ""
    assert sample_problem(HeaderKind.VIDEO, MP4) == ""
    assert sample_problem(HeaderKind.DOCUMENT, PDF) == ""
    assert "not a PDF" in sample_problem(HeaderKind.DOCUMENT, PNG)
    assert "not an MP4 video" in sample_problem(HeaderKind.VIDEO, JPEG)
    assert "Choose a JPEG or PNG image" in sample_problem(HeaderKind.IMAGE, b"")
    assert "Only an image" in sample_problem(HeaderKind.TEXT, PNG)
    assert fits(HeaderKind.IMAGE, "image/png") and not fits(HeaderKind.IMAGE, "video/mp4")
    assert not fits(HeaderKind.NONE, "image/png")


def test_sizes_are_capped_per_kind() -> None:
    assert sample_problem(HeaderKind.IMAGE, JPEG + b"\x00" * (5 * MB - len(JPEG))) == ""
    assert "at most 5 MB" in sample_problem(HeaderKind.IMAGE, JPEG + b"\x00" * (5 * MB))
    assert sample_problem(HeaderKind.VIDEO, MP4 + b"\x00" * (10 * MB)) == ""
    assert "at most 16 MB" in sample_problem(HeaderKind.DOCUMENT, PDF + b"\x00" * (16 * MB))

"""`unknot routines card`: real matplotlib output (PDF, PNG, SVG) of library routines."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from unknot.cli import cli
from unknot.routine.library import load_all
from unknot.routine.view import resolve

pytest.importorskip("matplotlib")


def _card(tmp_path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--home", str(tmp_path / "home"), "routines", "card",
                                      *args])
    return result.exit_code, result.output


def _names(routine: str) -> list[str]:
    ov, _found = resolve(routine)
    return [e.name for e in ov.exercises]


def test_svg_card_holds_every_exercise_name_as_text(tmp_path: Path) -> None:
    out = tmp_path / "card.svg"
    code, output = _card(tmp_path, "rest-break", "-o", str(out))
    assert code == 0, output
    root = ET.parse(out).getroot()  # valid XML
    assert root.tag.endswith("svg")
    text = " ".join("".join(t.itertext()) for t in root.iter() if t.tag.endswith("text"))
    for name in _names("rest-break"):
        assert name in text
    assert "Safety" in text and "What each buzz means" in text


def _unescape(raw: bytes) -> bytes:
    """A PDF literal string's bytes (backslash escapes: octal, and one escaped char)."""
    return re.sub(rb"\\([0-7]{1,3}|.)", lambda m: bytes([int(m[1], 8)]) if m[1][:1].isdigit()
                  else {b"n": b"\n", b"r": b"\r", b"t": b"\t"}.get(m[1], m[1]), raw, flags=re.S)


def _pdf_text(data: bytes) -> str:
    """The strings a PDF (uncompressed content streams, TrueType text as 2-byte codes) shows,
    kerning gaps joined."""
    literal = rb"\(((?:\\.|[^\\)])*)\)"
    shown = []
    for arr in re.findall(rb"\[(.*?)\]\s*TJ", data, re.S):
        shown.append(b"".join(_unescape(p) for p in re.findall(literal, arr)))
    shown += [_unescape(p) for p in re.findall(literal + rb"\s*Tj", data)]
    return " ".join(p.decode("utf-16-be", "replace") if len(p) % 2 == 0 and b"\0" in p
                    else p.decode("latin-1") for p in shown)


def test_pdf_card_is_one_page_with_the_exercise_names(tmp_path: Path) -> None:
    out = tmp_path / "card.pdf"
    code, output = _card(tmp_path, "neck-stretches", "-o", str(out))
    assert code == 0, output
    data = out.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert len(re.findall(rb"/Type\s*/Page\b", data)) == 1
    text = _pdf_text(data)
    for name in _names("neck-stretches"):
        assert name in text, name


def test_all_cards_png(tmp_path: Path) -> None:
    folder = tmp_path / "cards"
    code, output = _card(tmp_path, "--all", "-o", str(folder), "--format", "png")
    assert code == 0, output
    slugs = sorted(r.slug for r in load_all())
    assert sorted(p.stem for p in folder.glob("*.png")) == slugs
    for p in folder.glob("*.png"):
        head = p.read_bytes()[:24]
        assert head.startswith(b"\x89PNG\r\n\x1a\n")
        w, h = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
        assert abs(h / w - 297 / 210) < 0.01  # A4 portrait


def test_unwritable_output_is_one_error_line(tmp_path: Path) -> None:
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    targets = [a_file / "card.png", Path("/proc/card.pdf"), tmp_path / "missing" / "card.svg"]
    for target in targets:  # (read-only folders do not stop root, which CI may be)
        code, output = _card(tmp_path, "micro-break", "-o", str(target))
        assert code == 1, output
        lines = output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: cannot write"), output
    code, output = _card(tmp_path, "--all", "-o", str(a_file / "cards"))
    assert code == 1 and output.startswith("Error: cannot create"), output


def test_card_rejects_unknown_suffix_and_routine(tmp_path: Path) -> None:
    code, output = _card(tmp_path, "micro-break", "-o", str(tmp_path / "card.txt"))
    assert code == 1 and output.startswith("Error:") and ".pdf" in output
    code, output = _card(tmp_path, "no-such-routine", "-o", str(tmp_path / "card.pdf"))
    assert code == 1 and output.startswith("Error:")

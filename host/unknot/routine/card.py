"""Routine cards: one printable A4 page per routine (`unknot routines card`), PDF, PNG or SVG.

The page shows the title, total time and counts, the exercises in order (position and
props, time, sides, what each step is: breaths, holds, repetitions), each exercise's
instruction, the cue legend (each cue the routine plays, drawn from the firmware's haptic
pattern table through unknot.core, never a copy) and the safety advice. Everything shown
comes from unknot.routine.overview (the one count, the one expansion). matplotlib is
imported only here, when a card is drawn.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from unknot import core, paths
from unknot.core import routine as fmt
from unknot.errors import UnknotError
from unknot.routine import model as m
from unknot.routine.decode import Decoded
from unknot.routine.model import Routine
from unknot.routine.overview import ExerciseView, Overview
from unknot.routine.view import credits, describe_step, fmt_time, ready_words

FORMATS = (".pdf", ".png", ".svg")
A4_IN = (8.27, 11.69)  # portrait
MARGIN_IN = 0.6
PNG_DPI = 150
STOP_ON_PAIN = "Stop at once if anything hurts, and ask a health professional if pain persists."
# printable sizes (pt) at scale 1; a long routine is drawn smaller, never below 8 pt text
TITLE_PT, HEAD_PT, BODY_PT, SMALL_PT = 22, 13, 10.5, 9
SCALES = (1.0, 0.94, 0.89)  # 9 pt x 0.89 = 8 pt


class CardError(UnknotError):
    """A card cannot be made or written."""


def _chars(width_in: float, pt: float) -> int:
    """How many characters of DejaVu Sans at `pt` fit in `width_in` (average glyph 0.55 em)."""
    return max(10, int(width_in * 72 / (pt * 0.55)))


def _wrap(text: str, width_in: float, pt: float) -> list[str]:
    return textwrap.wrap(text, _chars(width_in, pt)) or [""]


def _steps_text(ov: Overview, e: ExerciseView) -> list[str]:
    """What each step of exercise `e` is: "2 breaths (4 s in, 6 s out)", "hold 20 s each side"."""
    from unknot.routine.count import position

    ops = list(ov.ops)
    out = []
    for i, op in enumerate(ops):
        if op.kind in (fmt.BEGIN, fmt.END, *m.READY) or position(ops, i).exercises != e.number:
            continue
        what = _step_words(op)
        out.append(f"{op.label}: {what}" if op.label and op.label != e.name else what)
    return out


def _step_words(op: m.Op) -> str:
    """A step in words for the printed page (the terminal's terse form is view.describe_step)."""
    d = [x / 10 for x in op.durations]
    each = ", on each side" if op.sides else ""
    if op.kind == fmt.BREATHE:
        parts = [f"in {d[0]:g} s"] + ([f"hold {d[1]:g} s"] if d[1] else []) + [
            f"out {d[2]:g} s"] + ([f"pause {d[3]:g} s"] if d[3] else [])
        return f"{op.count} slow breath{'s' if op.count != 1 else ''}: {', '.join(parts)}"
    if op.kind == fmt.HOLD:
        return f"hold {_secs(d[0])}{each}"
    if op.kind == fmt.REST:
        return f"rest {_secs(d[0])}"
    if op.kind == fmt.REPEAT:
        gap = f", {d[1]:g} s between" if d[1] else ""
        return f"{op.count} times {d[0]:g} s{gap}{each}"
    return describe_step(op)


def _secs(s: float) -> str:
    """20 s, 90 s, 3 min (whole minutes from 2 min)."""
    return f"{s / 60:g} min" if s >= 120 and s % 60 == 0 else f"{s:g} s"


def _cue_meaning(cue: str) -> str:
    """The legend line: what the buzz means, from the one haptic vocabulary table."""
    return core.patterns.meaning(cue) or cue.replace("_", " ")


class _Page:
    """A flowing layout on one figure: a cursor moving down in inches from the top."""

    def __init__(self, fig: Any, scale: float) -> None:
        self.fig = fig
        self.scale = scale
        self.y = A4_IN[1] - MARGIN_IN
        self.width = A4_IN[0] - 2 * MARGIN_IN

    def text(self, x_in: float, s: str, pt: float, **kw: Any) -> None:
        self.fig.text((MARGIN_IN + x_in) / A4_IN[0], self.y / A4_IN[1], s,
                      fontsize=pt * self.scale,
                      va="top", ha="left", **kw)

    def lines(self, x_in: float, lines: Iterable[str], pt: float, **kw: Any) -> None:
        for line in lines:
            self.text(x_in, line, pt, **kw)
            self.down(pt * 1.35 / 72)

    def wrap(self, text: str, width_in: float, pt: float) -> list[str]:
        return _wrap(text, width_in, pt * self.scale)

    def down(self, inches: float) -> None:
        self.y -= inches * self.scale

    def rule(self) -> None:
        y = self.y / A4_IN[1]
        self.fig.add_artist(self._line([MARGIN_IN / A4_IN[0], 1 - MARGIN_IN / A4_IN[0]], [y, y]))
        self.down(0.12)

    def _line(self, xs: list[float], ys: list[float]) -> Any:
        from matplotlib.lines import Line2D

        return Line2D(xs, ys, transform=self.fig.transFigure, color="0.6", linewidth=0.8)


def draw(ov: Overview, found: Routine | Decoded) -> Any:
    """The card of one routine as a matplotlib Figure, at the largest scale that fits."""
    for scale in SCALES:
        fig, bottom = _draw(ov, found, scale)
        if bottom >= MARGIN_IN * 0.6:
            return fig
    raise CardError(f"{ov.slug}: the card does not fit on one page")


def _draw(ov: Overview, found: Routine | Decoded, scale: float) -> tuple[Any, float]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=A4_IN)
    page = _Page(fig, scale)
    w = page.width
    page.lines(0, page.wrap(ov.name or ov.slug, w, TITLE_PT), TITLE_PT, weight="bold")
    page.down(0.05)
    sides = sum(e.sides for e in ov.exercises)
    facts = f"{fmt_time(ov.total_ms)} in all · {ov.count}" + (
        f" · {sides} done on each side" if sides else "") + f" · id {ov.slug}"
    page.lines(0, page.wrap(facts, w, BODY_PT), BODY_PT, color="0.25")
    summary = found.summary if isinstance(found, Routine) else ""
    if summary:
        page.down(0.04)
        page.lines(0, page.wrap(summary, w, BODY_PT), BODY_PT, style="italic")
    page.down(0.1)
    page.rule()
    _exercises(page, ov)
    page.rule()
    _legend(page, ov)
    page.rule()
    if isinstance(found, Routine):
        for line in credits(found):  # the text's own numbers are in the steps above
            if line.startswith("Numbers from the text"):
                continue
            page.lines(0, page.wrap(line, w, SMALL_PT), SMALL_PT, color="0.25")
            page.down(0.02)
        page.rule()
    safety = found.safety if isinstance(found, Routine) and found.safety else ""
    page.lines(0, ["Safety"], HEAD_PT, weight="bold")
    page.down(0.04)
    for para in (safety, STOP_ON_PAIN):
        if para:
            page.lines(0, page.wrap(para, w, BODY_PT), BODY_PT)
            page.down(0.06)
    return fig, page.y


def _exercises(page: _Page, ov: Overview) -> None:
    page.lines(0, ["Exercises"], HEAD_PT, weight="bold")
    page.down(0.06)
    num_w, time_x = 0.35, page.width - 1.55
    for e in ov.exercises:
        page.text(0, f"{e.number}.", BODY_PT + 1, weight="bold")
        page.text(time_x, fmt_time(e.duration_ms), BODY_PT + 1, weight="bold")
        page.lines(num_w, page.wrap(e.name, time_x - num_w - 0.15, BODY_PT + 1),
                   BODY_PT + 1, weight="bold")
        where = (e.position or "position not given") + (
            f" · with {', '.join(e.props)}" if e.props else "") + (
            " · left and right side (the time is both)" if e.sides else "")
        words = ready_words(e)
        ready = f" · {words}" if words else ""
        text_w = page.width - num_w
        page.lines(num_w, page.wrap(where.capitalize() + ready, text_w, SMALL_PT), SMALL_PT,
                   color="0.3")
        if e.say:
            page.lines(num_w, page.wrap(e.say, text_w, BODY_PT), BODY_PT)
        for step in _steps_text(ov, e):
            page.lines(num_w + 0.15, page.wrap("• " + step, text_w - 0.15, SMALL_PT), SMALL_PT,
                       color="0.2")
        page.down(0.1)


def _legend(page: _Page, ov: Overview) -> None:
    """Each cue the routine plays: what it means and its rhythm on the motor (from the firmware
    pattern table: level over time), in two columns of meaning then rhythm."""
    page.lines(0, ["What each buzz means"], HEAD_PT, weight="bold")
    page.down(0.06)
    cues = list(ov.cues)
    row_h = 0.26 * page.scale
    col_w = page.width / 2
    text_w = 2.4  # inches for the meaning; the rhythm bar takes the rest of the column
    rows = (len(cues) + 1) // 2
    top = page.y
    longest = max((sum(ms for _l, ms in core.patterns.envelope(c)) for c in cues), default=1)
    for k, cue in enumerate(cues):
        col, row = divmod(k, rows)
        x = col * col_w
        page.y = top - row * row_h
        page.text(x, _cue_meaning(cue), SMALL_PT)
        env = core.patterns.envelope(cue)
        left = (MARGIN_IN + x + text_w) / A4_IN[0]
        width = (col_w - text_w - 0.15) / A4_IN[0]
        if not env:
            page.fig.text(left, page.y / A4_IN[1], "(no buzz in this firmware)", va="top",
                          fontsize=SMALL_PT * page.scale, color="0.4", style="italic")
            continue
        bar_h = 0.16 * page.scale
        ax = page.fig.add_axes((left, (page.y - bar_h) / A4_IN[1], width, bar_h / A4_IN[1]))
        t = 0
        for level, ms in env:
            if level:
                ax.bar(t, level, width=ms, align="edge", color="0.15")
            t += ms
        ax.set_xlim(0, longest)
        ax.set_ylim(0, 255)
        ax.axis("off")
    page.y = top - rows * row_h
    page.down(0.02)
    page.lines(0, ["Bars: the motor's strength over time (the longest cue is "
                   f"{longest / 1000:g} s wide)."], SMALL_PT, color="0.3")
    page.down(0.04)


def write(fig: Any, path: Path) -> None:
    """Save the card; the format follows the suffix. An unwritable path is a CardError."""
    import matplotlib

    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        hint = "; for a card of every routine in a folder: --all -o DIR" if not suffix else ""
        raise CardError(f"{path}: a card is {', '.join(FORMATS)} (by the file's suffix){hint}")
    problem = paths.parent_problem(path)
    if problem is not None:
        raise CardError(f"cannot write {path}: {problem}")
    with matplotlib.rc_context({"svg.fonttype": "none", "pdf.compression": 0,
                                "pdf.fonttype": 42}):
        try:
            fig.savefig(path, dpi=PNG_DPI, format=suffix[1:])
        except OSError as exc:
            raise CardError(f"cannot write {path}: {exc.strerror or exc}") from None


def make(found: Routine | Decoded, ov: Overview, path: Path) -> Path:
    """Draw the card of one routine and write it to `path`."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise CardError("routine cards need matplotlib, a dependency of unknot: reinstall "
                        "unknot (from a checkout: pip install -e .)") from None
    write(draw(ov, found), path)
    return path


def make_one(id_or_path: str, path: Path) -> Path:
    """The card of the routine `id_or_path` (an id or a .toml/.unk path) at `path`."""
    from unknot.routine.view import resolve

    ov, found = resolve(id_or_path)
    return make(found, ov, path)


def make_all(folder: Path, suffix: str) -> list[Path]:
    """A card of every routine (library and user folder) in `folder`, <id><suffix> each."""
    from unknot.routine import overview
    from unknot.routine.library import load_all

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CardError(f"cannot create {folder}: {exc.strerror or exc}") from None
    return [make(r, overview.of(r), folder / (r.slug + suffix)) for r in load_all()]

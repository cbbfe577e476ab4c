"""Haptic vocabulary figures (run by tools/bench.py), computed from the firmware's pattern
table through unknot.haptics:

- haptic_min_distance_ms: the smallest difference between any two cues (and the exercise
  number tapped 2..6 times): rhythms aligned segment by segment, largest segment difference;
- haptic_identical_pairs: pairs of cues one motor driver (PWM or DRV2605) plays identically;
- haptic_margin_ms: the margin the vocabulary keeps (patterns.MARGIN_MS, docs/firmware.md);
- haptic_cues: cues in the table.
"""

from __future__ import annotations


def run() -> dict[str, float | int]:
    from unknot import haptics

    return dict(haptics.summary())


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))

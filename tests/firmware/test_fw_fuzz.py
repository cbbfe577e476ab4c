"""10,000 deterministic mutations of valid routine files: the decoder and the loader never
let an exception other than RoutineFormatError escape, and accepted mutants play."""

from __future__ import annotations

import itertools

import fuzz


def _seeds(unkbuild, library):
    seeds = [unkbuild.build(s, slug=n) for n, s in unkbuild.SAMPLES.items()]
    return seeds + list(library.values())


def test_decoder_10k_mutations(fw, unkbuild, library):
    seeds = _seeds(unkbuild, library)
    accepted, rejected, escaped, first = fuzz.run(
        fw.routine.decode, fw.routine.RoutineFormatError, seeds, 10_000, seed=2024)
    assert escaped == 0, first
    assert accepted + rejected == 10_000
    assert rejected > 5000 and accepted > 100  # mutations reach past the CRC check


def test_loader_and_player_survive_mutants(fw, sa, unkbuild, library):
    seeds = _seeds(unkbuild, library)
    rng = fuzz.Rng(77)
    files = {f"m{i:04}.unk": fuzz.mutate(seeds[i % len(seeds)], rng) for i in range(600)}
    storage = sa.DictStorage(files)
    routines, rejected = fw.library.index(storage)
    assert len(routines) + len(rejected) == 600
    for name, _slug, _rid in routines:
        trace = fw.player.trace(fw.library.load(storage, name))
        assert trace[0][1] == "begin" and trace[-1][1] == "done"
        assert all(a[0] <= b[0] for a, b in itertools.pairwise(trace))

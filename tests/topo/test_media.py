"""The media table must agree with choose_media at every base length."""

from __future__ import annotations

import numpy as np
import pytest

from topo.catalog import builtin_catalog
from topo.media import choose_media, media_table


@pytest.mark.parametrize("speed", [1, 25, 100, 400, 800])
@pytest.mark.parametrize("slack", [None, 0, 1500])
def test_table_matches_choose_media(speed, slack):
    options = builtin_catalog().media_for(speed)
    t = media_table(options, slack)
    # the choice only changes at the breakpoints: test each side of every one
    b = t.breaks
    bases = np.unique(np.concatenate([[0, 1], b - 1, b, b + 1, [t.max_base_mm + 5000]]))
    bases = bases[bases >= 0]
    cost = t.cost(bases)
    for b, k, c in zip(bases.tolist(), t.interval(bases).tolist(), cost.tolist(), strict=True):
        choice = choose_media(options, b, slack)
        if choice is None:
            assert k == len(t.breaks)
            continue
        m, need, stock = choice
        assert t.options[t.media[k]] is m
        assert c == m.link_cost_cents(stock)
        assert t.area_mm2[k] == m.area_mm2
        assert b + 2 * t.slack_mm[k] == need


def test_thinner_media_and_least_area_after():
    t = media_table(builtin_catalog().media_for(100), None)
    for i in range(len(t.breaks)):
        j = t.next_thinner[i]
        later = t.area_mm2[i + 1 : j]
        assert (later >= t.area_mm2[i]).all()
        if j < len(t.breaks):
            assert t.area_mm2[j] < t.area_mm2[i]
        assert t.min_area_after[i] == t.area_mm2[i:].min()

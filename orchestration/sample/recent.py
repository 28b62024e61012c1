"""The sample's recent halves: 2025S1 by district, 2025S2 and 2026S1 by commune.

So that ``chitieu demo`` shows a current half year (2026S1) beside its same period last
year (2025S1). 2025S1 continues each cell's trend on the seven districts of that half
(thành phố Hoa Lư under code 374 carries the sum of TP Ninh Bình's and the old huyện
Hoa Lư's figures, as the outlier rule sums their past), in the wide layout, so no value
is an outlier against its history.
From 2025S2 every agency reports per commune or ward of the merged province in
the long layout: the merged province is about three former ones, so each agency's
2019S1 total is scaled up and spread over a share of the 129 units, derived indicators
follow their base at a per-cell rate within the catalogue's rules, and 2026S1 moves each
cell a little from 2025S2. Every random stream is seeded by its own string, so the
files are byte-identical run after run and the older halves do not change.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date

from orchestration.sample.layouts import header_in_style
from reference.catalog import Catalog
from reference.periods import parse_period
from workbooks.writing.writer import SubmissionLayout

RECENT_HALVES = ("2025S1", "2025S2", "2026S1")
DISTRICT_HALF, COMMUNE_HALVES = RECENT_HALVES[0], RECENT_HALVES[1:]
MERGED_SCALE = (2.6, 3.0)  # the merged province against the former Ninh Bình
DRIFT_2025S1 = 0.04  # at most, against 2019S1: well inside a trend's spread
GROWTH_2026S1 = (0.92, 1.12)
PER_UNIT = (1.5, 4.0)  # average count per unit that reports an indicator
ONE_PER_UNIT = ("NTM_XA",)  # a commune is helped to the standard once
DISTRICT_ONLY = ("NTM_HUYEN",)  # no district after 2025-06-30: reported as 0 at province level
UNIT_NAME_HEADERS = ("Xã, phường", "Xã, phường", "Đơn vị hành chính", "Tên đơn vị")
COMMUNE_STYLES = ("prefixed", "prefixed", "plain", "upper", "no_diacritics", "nfd")

Values = dict[tuple[str, str], int]


def recent_values(
    catalog: Catalog,
    seed: str,
    latest: dict[str, Values],
    derived: dict[str, tuple[str, float, float]],
    small_below: int,
) -> dict[str, dict[str, Values]]:
    """Per recent half and agency, the values (money in tenths of a million VND)."""
    by_half: dict[str, dict[str, Values]] = {h: {} for h in RECENT_HALVES}
    districts = {d.code for d in catalog.districts_for(parse_period(DISTRICT_HALF))}
    province = {catalog.province_member().code}
    for agency in sorted(latest):
        rng = random.Random(f"{seed}/recent/{agency}")
        mine = latest[agency]
        on_2025_map = _onto_successors(catalog, mine, parse_period(DISTRICT_HALF))
        by_half[DISTRICT_HALF][agency] = _drifted(
            catalog, rng, on_2025_map, derived, small_below, districts | province
        )
        base = _commune_base(catalog, rng, mine, derived)
        growth = _grown(rng, base)
        rates = _rates(rng, base, derived)
        for half, counts in zip(COMMUNE_HALVES, (base, growth), strict=True):
            at_province = _drifted(catalog, rng, mine, derived, small_below, province)
            by_half[half][agency] = {**at_province, **_with_derived(counts, rates, derived)}
    return by_half


def _drifted(
    catalog: Catalog,
    rng: random.Random,
    latest: Values,
    derived: dict[str, tuple[str, float, float]],
    small_below: int,
    units: set[str],
) -> Values:
    """The cells of ``units`` on their trend: each 2019S1 count moved by at most
    ``DRIFT_2025S1`` (small counts kept), money at its 2019S1 price.

    For the districts of 2025S1, and for the province level, whose work the merger
    did not turn into three times as much overnight."""
    money_of = {base: ind for ind, (base, _, _) in derived.items() if _is_money(catalog, ind)}
    values: Values = {}
    for (ind, unit), value in sorted(latest.items()):
        if unit not in units or _is_money(catalog, ind):
            continue
        drift = 1 + rng.uniform(-DRIFT_2025S1, DRIFT_2025S1)
        values[ind, unit] = value if value < small_below else round(value * drift)
        if ind in money_of and (money_of[ind], unit) in latest:
            price = latest[money_of[ind], unit] / value if value else 0
            money = round(values[ind, unit] * price) if value else latest[money_of[ind], unit]
            values[money_of[ind], unit] = max(money, 1 if values[ind, unit] else 0)
    return values


def _onto_successors(catalog: Catalog, latest: Values, period) -> Values:
    """Cells of units that another took over by ``period`` summed onto it (TP Ninh Bình
    and huyện Hoa Lư onto thành phố Hoa Lư, ``district_crosswalk.csv``)."""
    successor = {
        row["from_code"]: row["to_code"]
        for row in catalog.crosswalk
        if date.fromisoformat(row["to_valid_from"]) <= period.start_date
    }
    merged: Values = defaultdict(int)
    for (ind, unit), value in sorted(latest.items()):
        merged[ind, successor.get(unit, unit)] += value
    return dict(merged)


def _is_money(catalog: Catalog, code: str) -> bool:
    return catalog.indicators[code].value_kind == "money"


def _commune_base(catalog: Catalog, rng: random.Random, latest: Values, derived: dict) -> Values:
    """2025S2 base counts: the agency's 2019S1 district totals scaled up, over communes."""
    communes = [d.code for d in catalog.districts_for(parse_period(COMMUNE_HALVES[0]))]
    province = catalog.province_member().code
    totals: dict[str, int] = defaultdict(int)
    for (ind, unit), value in sorted(latest.items()):
        if ind not in derived and unit != province:
            totals[ind] += value
    values: Values = {}
    for ind, total in sorted(totals.items()):
        if ind in DISTRICT_ONLY:
            values[ind, province] = 0
            continue
        spread = round(total * rng.uniform(*MERGED_SCALE))
        for unit, value in _spread(rng, ind, spread, communes).items():
            values[ind, unit] = value
    return values


def _spread(rng: random.Random, ind: str, total: int, communes: list[str]) -> dict[str, int]:
    """``total`` over a random share of the communes, exactly; 0/1 per unit where it counts
    units; a unit that reports but did nothing has 0 (written as "-")."""
    from orchestration.sample.generate import split_total  # the generator's exact splitter

    if ind in ONE_PER_UNIT:
        chosen = rng.sample(communes, min(total, len(communes)))
        return dict.fromkeys(sorted(chosen), 1)
    n = min(len(communes), max(4, round(total / rng.uniform(*PER_UNIT))))
    chosen = sorted(rng.sample(communes, n))
    weights = {unit: rng.uniform(0.3, 1.7) for unit in chosen}
    return split_total(total, weights)


def _grown(rng: random.Random, base: Values) -> Values:
    """2026S1: each cell of 2025S2 a little up or down; unit counts stay as they were."""
    grown: Values = {}
    for (ind, unit), value in sorted(base.items()):
        if ind in ONE_PER_UNIT or ind in DISTRICT_ONLY:
            grown[ind, unit] = value
        else:
            grown[ind, unit] = round(value * rng.uniform(*GROWTH_2026S1))
    return grown


def _rates(rng: random.Random, base: Values, derived: dict) -> dict[tuple[str, str], float]:
    """A per-cell rate for each derived indicator (people per conference, price per gift)."""
    rates = {}
    for ind, (base_code, low, high) in sorted(derived.items()):
        for code, unit in sorted(base):
            if code == base_code:
                rates[ind, unit] = rng.uniform(low, high)
    return rates


def _with_derived(counts: Values, rates: dict, derived: dict) -> Values:
    values = dict(counts)
    for (ind, unit), rate in sorted(rates.items()):
        count = counts.get((derived[ind][0], unit))
        if count is not None:
            values[ind, unit] = max(round(count * rate), 1 if count else 0)
    return values


def long_layout(rng: random.Random, base: SubmissionLayout) -> SubmissionLayout:
    """A commune-level workbook in the long layout, varied as agencies vary them."""
    from dataclasses import replace

    return replace(
        base,
        long_layout=True,
        unit_codes=rng.random() < 0.6,
        unit_name_header=rng.choice(UNIT_NAME_HEADERS),
        district_header=header_in_style(rng.choice(COMMUNE_STYLES)),
        total_first=False,
    )

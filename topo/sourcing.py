"""Sourcing: who makes each item of the bill of materials, where, and the domestic share.

Catalog switches, servers, media and transceivers may carry ``manufacturer``,
``part_number``, ``origin`` (ISO 3166 alpha-2) and ``lead_time_days``; a transceiver
without its own takes its media's. A scenario's ``options.sourcing`` reads them:

1. :func:`restrict_origins` takes the media of an excluded origin out of the catalog
   before cables are chosen (as :func:`topo.fabric.network.restrict_media` does for media
   kinds), and refuses a switch or server model of an excluded origin, naming it.
2. :func:`bom_items` lists the network bill of materials (the lines of ``bom.csv``:
   switches, appliances, optics, cables by stock length; servers are not in it) with
   each line's sourcing.
3. :func:`sourcing_summary` (``summary.sourcing``) gives the cost by origin and the
   domestic share *of the bill of materials' total cost*; items with no ``origin``
   count as not domestic and are reported apart.
4. :func:`prefer_domestic` moves cables to domestic media (no thicker) until the share
   reaches ``min_domestic_share``; a share still below it is a diagnostic
   (:func:`sourcing_diagnostics`) that says by how much, in points and in dollars: the
   share is only known once cables are chosen, so the plan is still an answer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence, Set
from dataclasses import dataclass, replace
from typing import Any

from topo.cables import Cable
from topo.catalog import Catalog, Media, Server, SwitchModel, Transceiver
from topo.errors import CatalogError, FabricError, Problem
from topo.media import choose_media
from topo.model import Device, Fabric
from topo.scenario import Scenario, SourcingOptions

__all__ = [
    "UNKNOWN_ORIGIN",
    "BomItem",
    "Sourcing",
    "bom_items",
    "prefer_domestic",
    "restrict_origins",
    "sourcing_diagnostics",
    "sourcing_of",
    "sourcing_summary",
]

UNKNOWN_ORIGIN = "unknown"
"""The origin reported for items whose catalog entry gives none."""


@dataclass(frozen=True, slots=True)
class Sourcing:
    """Who makes an item and where; empty strings (and None) where the catalog is silent."""

    manufacturer: str = ""
    part_number: str = ""
    origin: str = ""
    lead_time_days: int | None = None

    def columns(self) -> list[str]:
        """The four ``bom.csv`` sourcing columns."""
        lead = "" if self.lead_time_days is None else str(self.lead_time_days)
        return [self.manufacturer, self.part_number, self.origin, lead]


def sourcing_of(
    item: SwitchModel | Server | Media | Transceiver | None, fallback: Media | None = None
) -> Sourcing:
    """The sourcing of a catalog entry, each field falling back to ``fallback``'s (a
    transceiver's media).

    Example:
        >>> from topo.catalog import Transceiver
        >>> t = Transceiver(sku="OSFP-DR4", cost_usd=800, power_w=10, part_number="X1")
        >>> m = Media(id="m", kind="smf", speed_gbps=400, reach_m=500, od_mm=3,
        ...           stock_lengths_m=(5,), cable_sku="F", origin="US", transceiver=t)
        >>> sourcing_of(t, m).columns()
        ['', 'X1', 'US', '']
    """
    if item is None:
        return Sourcing()

    def pick(name: str) -> Any:
        value = getattr(item, name)
        if value is None and fallback is not None:
            value = getattr(fallback, name)
        return value

    return Sourcing(
        pick("manufacturer") or "",
        pick("part_number") or "",
        pick("origin") or "",
        pick("lead_time_days"),
    )


@dataclass(frozen=True, slots=True)
class BomItem:
    """One line of the bill of materials."""

    category: str  # switch, appliance, optic, cable
    sku: str  # as in bom.csv: a cable's SKU ends with its stock length, '-3M'
    description: str
    length_mm: int  # cables only, else 0
    quantity: int
    unit_cents: int
    unit_power_w: float  # a cable's: both its ends; a transceiver's: one
    sourcing: Sourcing

    @property
    def total_cents(self) -> int:
        return self.unit_cents * self.quantity


def _metres(mm: int) -> str:
    return f"{mm / 1000:.3f}".rstrip("0").rstrip(".") if mm else "0"


def bom_items(
    catalog: Catalog, devices: Sequence[Device], cables: Sequence[Cable]
) -> list[BomItem]:
    """The network bill of materials, in ``bom.csv`` order: switches and appliances by
    model, optics by SKU, cables by cable SKU and stock length."""
    cat = catalog
    out: list[BomItem] = []
    switches: dict[str, int] = defaultdict(int)
    appliances: dict[str, int] = defaultdict(int)
    for d in devices:
        if d.role == "appliance":
            appliances[d.model] += 1
        elif d.role != "server":
            switches[d.model] += 1
    for model in sorted(switches):
        sw = cat.switch_index.get(model)
        cost = round(sw.cost_usd * 100) if sw else 0
        power = sw.power_w if sw else 0.0
        name = sw.name if sw else model
        out.append(BomItem("switch", model, name, 0, switches[model], cost, power, sourcing_of(sw)))
    for model in sorted(appliances):
        box = cat.server_index[model]
        out.append(
            BomItem(
                "appliance",
                model,
                box.name,
                0,
                appliances[model],
                round(box.cost_usd * 100),
                box.power_w,
                sourcing_of(box),
            )
        )
    optics: dict[str, int] = defaultdict(int)
    by_stock: dict[tuple[str, int], int] = defaultdict(int)
    for c in cables:
        if c.status != "ok":
            continue
        m = cat.media_index[c.media]
        if m.transceiver is not None:
            optics[m.transceiver.sku] += 2
        by_stock[(c.media, c.stock_mm)] += 1
    trx: dict[str, tuple[Transceiver, Media]] = {}
    for m in cat.media:
        if m.transceiver is not None:
            trx.setdefault(m.transceiver.sku, (m.transceiver, m))
    for sku in sorted(optics):
        t, m = trx[sku]
        out.append(
            BomItem(
                "optic",
                sku,
                f"transceiver {sku}",
                0,
                optics[sku],
                round(t.cost_usd * 100),
                t.power_w,
                sourcing_of(t, m),
            )
        )
    for (media_id, stock), qty in sorted(
        by_stock.items(), key=lambda kv: (cat.media_index[kv[0][0]].cable_sku, kv[0][1])
    ):
        m = cat.media_index[media_id]
        unit = round((m.cable_cost_usd + m.cable_cost_per_m_usd * stock / 1000) * 100)
        size = _metres(stock)
        desc = f"{m.kind} {m.speed_gbps}G {size} m ({media_id})"
        out.append(
            BomItem(
                "cable",
                f"{m.cable_sku}-{size}M",
                desc,
                stock,
                qty,
                unit,
                2 * m.end_power_w,
                sourcing_of(m),
            )
        )
    return out


def restrict_origins(scenario: Scenario, fabric: Fabric, catalog: Catalog) -> Catalog:
    """The catalog without the media of the scenario's excluded origins.

    Raises:
        CatalogError: a switch or server model in the fabric whose origin is excluded,
            naming the model, its origin and a device.
        FabricError: a link speed the exclusion leaves no media at all.
    """
    rules = scenario.options.sourcing
    if rules is None or not rules.exclude_origins:
        return catalog
    banned = set(rules.exclude_origins)
    problems: list[Problem] = []
    told: set[str] = set()
    for d in fabric.devices:
        model = catalog.switch_index.get(d.model) or catalog.server_index.get(d.model)
        if model is None or model.origin not in banned or d.model in told:
            continue
        told.add(d.model)
        problems.append(
            Problem(
                "options.sourcing.exclude_origins",
                f"model {d.model!r} (device {d.id!r}) comes from {model.origin!r}, an "
                f"excluded origin; replace it in the catalog or the fabric",
                d.model,
            )
        )
    if problems:
        raise CatalogError(problems)

    def excluded(m: Media) -> bool:
        return sourcing_of(m.transceiver, m).origin in banned or m.origin in banned

    drop = {m.id for m in catalog.media if excluded(m)}
    if not drop:
        return catalog
    first_link: dict[int, str] = {}
    for link in fabric.links:
        first_link.setdefault(link.speed_gbps, link.id)
    for speed, link_id in sorted(first_link.items()):
        offered = catalog.media_for(speed)
        if offered and all(m.id in drop for m in offered):
            origins = ", ".join(sorted({sourcing_of(m.transceiver, m).origin for m in offered}))
            problems.append(
                Problem(
                    f"links.{link_id}",
                    f"link {link_id!r} at {speed}G has no media outside the excluded "
                    f"origins {', '.join(sorted(banned))}; its media come from {origins}",
                    speed,
                )
            )
    if problems:
        raise FabricError(problems)
    return catalog.model_copy(update={"media": tuple(m for m in catalog.media if m.id not in drop)})


def _share(rules: SourcingOptions, items: Sequence[BomItem]) -> tuple[int, int, dict[str, int]]:
    """``(domestic cents, total cents, cents by origin)``."""
    by_origin: dict[str, int] = defaultdict(int)
    for it in items:
        by_origin[it.sourcing.origin or UNKNOWN_ORIGIN] += it.total_cents
    total = sum(by_origin.values())
    domestic = by_origin.get(rules.domestic, 0) if rules.domestic else 0
    return domestic, total, dict(by_origin)


def sourcing_summary(
    rules: SourcingOptions | None, items: Sequence[BomItem]
) -> dict[str, Any] | None:
    """``summary.sourcing`` from the bill of materials (None when the scenario sets no
    ``options.sourcing``)."""
    if rules is None:
        return None
    domestic, total, by_origin = _share(rules, items)
    share = domestic / total if total else 0.0
    out: dict[str, Any] = {
        "domestic": rules.domestic,
        "relative_to": "bom.csv total cost (switches, appliances, optics, cables)",
        "total_usd": round(total / 100, 2),
        "domestic_usd": round(domestic / 100, 2),
        "domestic_share": round(share, 4),
        "unknown_origin_usd": round(by_origin.get(UNKNOWN_ORIGIN, 0) / 100, 2),
        "by_origin_usd": {k: round(v / 100, 2) for k, v in sorted(by_origin.items())},
        "exclude_origins": list(rules.exclude_origins),
        "min_domestic_share": rules.min_domestic_share,
    }
    if rules.min_domestic_share is not None:
        short = max(0, round(rules.min_domestic_share * total) - domestic)
        out["domestic_short_usd"] = round(short / 100, 2)
    return out


def sourcing_diagnostics(rules: SourcingOptions | None, items: Sequence[BomItem]) -> list[Problem]:
    """A problem when the domestic share is below ``min_domestic_share``, saying by how
    many points and how many dollars of the bill of materials would have to move to
    domestic items."""
    if rules is None or rules.min_domestic_share is None:
        return []
    domestic, total, _ = _share(rules, items)
    need = rules.min_domestic_share
    share = domestic / total if total else 0.0
    if share >= need - 1e-12:
        return []
    short = max(0, round(need * total) - domestic)
    return [
        Problem(
            "options.sourcing.min_domestic_share",
            f"domestic ({rules.domestic}) share of the bill of materials is {share:.1%} "
            f"(${domestic / 100:,.2f} of ${total / 100:,.2f}), below the minimum "
            f"{need:.1%}: {(need - share) * 100:.1f} points, ${short / 100:,.2f} short",
            round(share, 4),
        )
    ]


def prefer_domestic(
    rules: SourcingOptions | None,
    catalog: Catalog,
    devices: Sequence[Device],
    cables: Sequence[Cable],
    *,
    slack_m: float | None,
    keep: Set[str] = frozenset(),
) -> tuple[tuple[Cable, ...], str]:
    """Cables moved to domestic media until the bill of materials reaches
    ``min_domestic_share``, and a note saying what moved (empty when nothing did).

    A cable may move to a media of its speed whose cable and optics both come from the
    domestic origin, that reaches its length and is no thicker than its own (so no tray
    fills more). The moves that cost least per domestic dollar go first, as few as reach
    the share (found by bisection, each candidate count checked on the whole bill); if
    all of them do not reach it, all are made and the share stays a diagnostic. Cables
    of ``keep`` (links whose media a breakout assembly or an installed cable fixes) stay.
    """
    if rules is None or rules.min_domestic_share is None or rules.domestic is None:
        return tuple(cables), ""
    need = rules.min_domestic_share

    def share(cs: Sequence[Cable]) -> float:
        domestic, total, _ = _share(rules, bom_items(catalog, devices, cs))
        return domestic / total if total else 0.0

    before = share(cables)
    if before >= need - 1e-12:
        return tuple(cables), ""
    dom = rules.domestic
    home = {
        m.id
        for m in catalog.media
        if sourcing_of(m).origin == dom
        and (m.transceiver is None or sourcing_of(m.transceiver, m).origin == dom)
    }
    slack = None if slack_m is None else round(slack_m * 1000)
    index = catalog.media_index
    moves: list[tuple[float, int, Cable]] = []
    picked: dict[tuple[int, str, int], tuple[Media, int, int] | None] = {}
    for n, c in enumerate(cables):
        if c.status != "ok" or c.media in home or c.link in keep or c.media not in index:
            continue
        own = index[c.media]
        base = c.length_mm - 2 * (slack if slack is not None else round(own.slack_m * 1000))
        key = (c.speed_gbps, c.media, base)
        if key not in picked:
            options = [
                m
                for m in catalog.media_for(c.speed_gbps)
                if m.id in home and m.area_mm2 <= own.area_mm2 + 1e-9
            ]
            picked[key] = choose_media(options, base, slack)
        got = picked[key]
        if got is None:
            continue
        m, need_mm, stock = got
        new = replace(
            c,
            media=m.id,
            kind=m.kind,
            length_mm=need_mm,
            stock_mm=stock,
            cost_cents=m.link_cost_cents(stock),
            power_w=m.link_power_w,
        )
        moves.append(((new.cost_cents - c.cost_cents) / max(1, new.cost_cents), n, new))
    if not moves:
        return tuple(cables), ""
    moves.sort(key=lambda m: (m[0], m[1]))

    def apply(k: int) -> list[Cable]:
        out = list(cables)
        for _, n, new in moves[:k]:
            out[n] = new
        return out

    lo, hi = 0, len(moves)  # the fewest moves reaching the share, if all of them do
    if share(apply(hi)) >= need - 1e-12:
        while lo < hi:
            mid = (lo + hi) // 2
            if share(apply(mid)) >= need - 1e-12:
                hi = mid
            else:
                lo = mid + 1
    moved = apply(hi)
    extra = sum(c.cost_cents for c in moved) - sum(c.cost_cents for c in cables)
    note = (
        f"{hi} cables moved to {dom} media to raise the domestic share of the bill of "
        f"materials from {before:.1%} to {share(moved):.1%} (minimum {need:.0%}), "
        f"${extra / 100:,.2f} more"
    )
    return tuple(moved), note

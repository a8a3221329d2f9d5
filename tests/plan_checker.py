"""An independent checker of topo plan folders.

Every figure a plan folder states (``plan.json``, ``cables.csv``, ``trays.csv``,
``bom.csv``) is recomputed here from the folder alone: the scenario as planned (floor
inline) and the built-in catalog read by file path. Nothing here imports topo, layouts or
api, so a bug in topo's own arithmetic cannot hide itself.

Each ``check_*`` function returns human-readable problems (empty = OK), each naming the
cable or segment, the value found and the limit or expected value.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
from collections import Counter, defaultdict
from pathlib import Path

import shapely
import shapely.ops
import yaml
from shapely.geometry import LineString, Point

CATALOG = Path(__file__).resolve().parent.parent / "topo" / "data" / "catalog.yaml"
EPS_M = 0.0015  # lengths are written to the millimetre
EPS_USD = 0.011
FIT = ("OPTIMAL", "FEASIBLE")


class PlanFolder:
    """The files of one plan folder, parsed, with the scenario's catalog and floor."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.plan = json.loads((self.path / "plan.json").read_text())
        self.summary = self.plan["summary"]
        self.cables = _read_csv(self.path / "cables.csv")
        self.trays = _read_csv(self.path / "trays.csv")
        self.bom = _read_csv(self.path / "bom.csv")
        self.scenario = yaml.safe_load((self.path / "scenario.yaml").read_text())
        self.floor = self.scenario["floor"]
        self.media = _merged(self.scenario.get("catalog") or {}, "media")
        self.switches = _merged(self.scenario.get("catalog") or {}, "switches")
        self.racks = _racks(self.floor)


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def _merged(additions: dict, kind: str) -> dict[str, dict]:
    """Built-in catalog entries of a kind (``media``, ``switches``) by id, replaced or
    extended by the scenario's ``catalog.<kind>``."""
    base = yaml.safe_load(CATALOG.read_text())
    entries = {m["id"]: m for m in base.get(kind, [])}
    for m in additions.get(kind) or []:
        entries[m["id"]] = m
    return entries


def _racks(floor: dict) -> dict[str, dict]:
    """Every rack of the floor by id: centre, footprint, top height, role."""
    out: dict[str, dict] = {}
    for row in floor.get("rows", []):
        width, depth = row.get("width", 0.6), row.get("depth", 1.2)
        gap, count = row.get("gap", 0.0), row["count"]
        height_u = row.get("height_u", 48)
        top = row.get("height_m") or height_u * 0.04445 + 0.1
        ox, oy = row["origin"]
        roles = {int(k): v for k, v in (row.get("roles") or {}).items()}
        for pos in range(1, count + 1):
            if pos in (row.get("skip") or ()):
                continue
            along = (pos - 1) * (width + gap) + width / 2
            if row.get("direction", "x") == "x":
                x, y, sx, sy = ox + along, oy + depth / 2, width, depth
            else:
                x, y, sx, sy = ox + depth / 2, oy + along, depth, width
            out[f"{row['id']}{pos:02d}"] = {
                "x": x,
                "y": y,
                "size_x": sx,
                "size_y": sy,
                "top": top,
                "role": roles.get(pos, row.get("role", "compute")),
            }
    return out


def _f(value: str) -> float:
    return float(value) if value not in ("", None) else 0.0


def _routed(c: dict[str, str]) -> bool:
    return c["status"] == "ok"


# ---------------------------------------------------------------- 1. totals, ports, bounds


def check_totals(pf: PlanFolder) -> list[str]:
    """Summary totals against the sum of cables.csv; ports used once; bounds and status."""
    s, cables, problems = pf.summary, pf.cables, []
    if s["cables"] != len(cables):
        problems.append(f"summary.cables {s['cables']} != {len(cables)} rows in cables.csv")
    tiers = Counter(c["tier"] for c in cables)
    if dict(sorted(s.get("cables_by_tier", {}).items())) != dict(sorted(tiers.items())):
        problems.append(
            f"summary.cables_by_tier {s.get('cables_by_tier')} != cables.csv {dict(tiers)}"
        )
    media = Counter(c["media"] for c in cables if c["media"])
    if "cables_by_media" in s and dict(sorted(s["cables_by_media"].items())) != dict(
        sorted(media.items())
    ):
        problems.append(
            f"summary.cables_by_media {s['cables_by_media']} != cables.csv {dict(media)}"
        )
    unrouted = sum(c["status"] == "unrouted" for c in cables)
    if "unrouted" in s and s["unrouted"] != unrouted:
        problems.append(f"summary.unrouted {s['unrouted']} != {unrouted} unrouted cables")
    stock = sum(_f(c["stock_length_m"]) for c in cables)
    if "total_stock_length_m" in s and abs(stock - s["total_stock_length_m"]) > 0.01:
        problems.append(
            f"summary.total_stock_length_m {s['total_stock_length_m']} != cables.csv sum {stock}"
        )
    length = sum(_f(c["length_m"]) for c in cables)
    if abs(length - s["total_length_m"]) > EPS_M * max(1, len(cables)) + 0.01:
        problems.append(
            f"summary.total_length_m {s['total_length_m']} != cables.csv sum {length:.3f}"
        )
    cable_cost = sum(_f(c["cost_usd"]) for c in cables)
    if abs(cable_cost - s["cable_cost_usd"]) > EPS_USD * max(1, len(cables)):
        problems.append(
            f"summary.cable_cost_usd {s['cable_cost_usd']} != cables.csv sum {cable_cost:.2f}"
        )
    if abs(s["cable_cost_usd"] + s["switch_cost_usd"] - s["cost_usd"]) > EPS_USD:
        problems.append(
            f"summary.cost_usd {s['cost_usd']} != cable {s['cable_cost_usd']} + switch "
            f"{s['switch_cost_usd']}"
        )
    power = sum(_f(c["power_w"]) for c in cables)
    if abs(power - s["optics_power_w"]) > 0.05 + 0.001 * len(cables):
        problems.append(
            f"summary.optics_power_w {s['optics_power_w']} != cables.csv sum {power:.2f}"
        )

    ends: dict[tuple[str, str, str, str], str] = {}
    for c in cables:
        for side in "ab":
            key = (c[f"{side}_rack"], c[f"{side}_u"], c[f"{side}_device"], c[f"{side}_port"])
            if key in ends:
                problems.append(
                    f"port {'/'.join(key)} used by both {ends[key]} and {c['cable_id']}"
                )
            else:
                ends[key] = c["cable_id"]

    lb_len, lb_cost = s.get("lower_bound_length_m"), s.get("lower_bound_cost_usd")
    if lb_len is not None and lb_len > s["total_length_m"] + EPS_M:
        problems.append(
            f"lower_bound_length_m {lb_len} is above the plan's total_length_m "
            f"{s['total_length_m']}"
        )
    if lb_cost is not None and lb_cost > s["cable_cost_usd"] + EPS_USD:
        problems.append(
            f"lower_bound_cost_usd {lb_cost} is above the plan's cable_cost_usd "
            f"{s['cable_cost_usd']}"
        )
    solver = s.get("solver") or {}
    if solver.get("status") == "OPTIMAL":
        if abs(solver.get("gap") or 0.0) > 1e-9:
            problems.append(f"solver status OPTIMAL with gap {solver.get('gap')} (expected 0)")
        objective = solver.get("objective", "cost")
        bound, value, eps = (
            (lb_len, s["total_length_m"], 0.01)
            if objective == "length"
            else (lb_cost, s["cable_cost_usd"], EPS_USD)
        )
        if bound is not None and abs(bound - value) > eps:
            problems.append(f"OPTIMAL by {objective} but its bound {bound} != the plan's {value}")
    return problems


# ---------------------------------------------------------------- 2. tray fill


def check_fill(pf: PlanFolder) -> list[str]:
    """Fill of each segment recomputed from the ODs of the cables routed through it."""
    problems: list[str] = []
    trays = {t["id"]: t for t in pf.floor.get("trays", [])}
    default_limit = pf.floor.get("fill_limit", 0.4)
    area_by_seg: dict[str, float] = defaultdict(float)
    count_by_seg: Counter[str] = Counter()
    for c in pf.cables:
        if not _routed(c) or not c["tray_route"]:
            continue
        od = pf.media[c["media"]]["od_mm"]
        for seg in expand_route(c["tray_route"]):
            area_by_seg[seg] += math.pi * od * od / 4
            count_by_seg[seg] += 1
    rows = {r["segment"]: r for r in pf.trays}
    for seg in sorted(set(area_by_seg) - set(rows)):
        problems.append(
            f"segment {seg}: carries {count_by_seg[seg]} cables but is missing from trays.csv"
        )
    worst, n_over = 0.0, 0
    for seg, r in sorted(rows.items()):
        tray = trays.get(r["tray"])
        if tray is None:
            problems.append(f"segment {seg}: tray {r['tray']!r} is not on the floor")
            continue
        cap = round(tray.get("width", 0.3) * 1000 * tray.get("depth", 0.1) * 1000)
        limit = tray.get("fill_limit")
        limit = default_limit if limit is None else limit
        fill = area_by_seg[seg] / cap
        worst = max(worst, fill)
        if int(r["cables"]) != count_by_seg[seg]:
            problems.append(
                f"segment {seg}: trays.csv says {r['cables']} cables, routes put "
                f"{count_by_seg[seg]}"
            )
        if abs(_f(r["area_mm2"]) - cap) > 0.5:
            problems.append(
                f"segment {seg}: trays.csv area {r['area_mm2']} mm2 != width x depth {cap} mm2"
            )
        if abs(_f(r["cable_area_mm2"]) - area_by_seg[seg]) > 0.06:
            problems.append(
                f"segment {seg}: trays.csv cable area {r['cable_area_mm2']} mm2 != "
                f"{area_by_seg[seg]:.1f} from cable ODs"
            )
        if abs(_f(r["fill_pct"]) - 100 * fill) > 0.006:
            problems.append(
                f"segment {seg}: trays.csv fill {r['fill_pct']}% != {100 * fill:.2f}% from "
                f"cable ODs"
            )
        if abs(_f(r["limit_pct"]) - 100 * limit) > 0.006:
            problems.append(
                f"segment {seg}: trays.csv limit {r['limit_pct']}% != floor limit "
                f"{100 * limit:.2f}%"
            )
        over = fill > limit + 1e-9
        n_over += over
        if over != (r["status"] != "ok"):
            problems.append(
                f"segment {seg}: status {r['status']!r} but fill {100 * fill:.2f}% vs limit "
                f"{100 * limit:.2f}%"
            )
        if over and (pf.summary.get("solver") or {}).get("status") in FIT:
            problems.append(
                f"segment {seg}: fill {100 * fill:.2f}% over its limit {100 * limit:.2f}% "
                f"in a plan whose status is {pf.summary['solver']['status']}"
            )
    if pf.summary.get("trays_over_limit", n_over) != n_over:
        problems.append(
            f"summary.trays_over_limit {pf.summary['trays_over_limit']} != {n_over} segments "
            f"over their limit by cable ODs"
        )
    if abs(pf.summary.get("max_tray_fill", 0.0) - worst) > 0.00006:
        problems.append(
            f"summary.max_tray_fill {pf.summary.get('max_tray_fill')} != {worst:.4f} from cable ODs"
        )
    return problems


# ---------------------------------------------------------------- 3. lengths and media


def _cage_groups(cables: list[dict[str, str]]) -> dict[tuple[str, str, str], list[dict[str, str]]]:
    """Breakout legs by (rack, device, cage): port ``03.2`` is lane 2 of cage 3."""
    groups: dict[tuple[str, str, str], list[dict[str, str]]] = defaultdict(list)
    for c in cables:
        for side in "ab":
            port = c[f"{side}_port"]
            if "." in port:
                groups[(c[f"{side}_rack"], c[f"{side}_device"], port.split(".")[0])].append(c)
    return groups


def _price(media: dict, stock_m: float) -> tuple[float, float]:
    """Cost and power of one link: the cable at its stock length, optics at both ends."""
    cost = media.get("cable_cost_usd", 0) + media.get("cable_cost_per_m_usd", 0) * stock_m
    power = 2 * media.get("end_power_w", 0)
    optic = media.get("transceiver")
    if optic:
        cost += 2 * optic.get("cost_usd", 0)
        power += 2 * optic.get("power_w", 0)
    return cost, power


def check_lengths(pf: PlanFolder) -> list[str]:
    """Stock length, reach, speed, assembly legs and the straight-line lower limit."""
    problems: list[str] = []
    for c in pf.cables:
        cid, media = c["cable_id"], pf.media.get(c["media"])
        if c["media"] == "" or c["status"] == "no-media":
            continue
        if media is None:
            problems.append(f"cable {cid}: media {c['media']!r} is not in the catalog")
            continue
        length, stock = _f(c["length_m"]), _f(c["stock_length_m"])
        if int(media["speed_gbps"]) != int(float(c["speed_gbps"])):
            problems.append(
                f"cable {cid}: media {c['media']} is {media['speed_gbps']}G, the link is "
                f"{c['speed_gbps']}G"
            )
        if length > media["reach_m"] + 1e-9:
            problems.append(
                f"cable {cid}: length {length} m beyond {c['media']} reach {media['reach_m']} m"
            )
        fits = [s for s in media["stock_lengths_m"] if s >= length - 1e-9]
        want = min(fits) if fits else None
        if want is None or abs(stock - want) > 1e-9:
            problems.append(
                f"cable {cid}: stock length {stock} m, the shortest {c['media']} stock "
                f"covering {length} m is {want}"
            )
        ra, rb = pf.racks.get(c["a_rack"]), pf.racks.get(c["b_rack"])
        if ra is None or rb is None:
            problems.append(f"cable {cid}: rack {c['a_rack']} or {c['b_rack']} is not on the floor")
            continue
        # both ports lie inside their racks' footprints: a cable between them is at least
        # the centre distance less each rack's half diagonal
        slack = (
            math.hypot(ra["size_x"], ra["size_y"]) / 2 + math.hypot(rb["size_x"], rb["size_y"]) / 2
        )
        straight = math.dist((ra["x"], ra["y"]), (rb["x"], rb["y"]))
        if length + EPS_M < straight - slack:
            problems.append(
                f"cable {cid}: length {length} m is shorter than the {straight:.3f} m between "
                f"{c['a_rack']} and {c['b_rack']} less {slack:.3f} m of rack footprint"
            )
        if _routed(c) and length + EPS_M < _f(c["route_m"]):
            problems.append(
                f"cable {cid}: length {length} m is shorter than its route {c['route_m']} m"
            )
        price, power = _price(media, stock)
        if abs(price - _f(c["cost_usd"])) > EPS_USD:
            problems.append(
                f"cable {cid}: cost {c['cost_usd']} USD, the catalog prices "
                f"{stock} m of {c['media']} at {price:.2f}"
            )
        if abs(power - _f(c["power_w"])) > 0.01:
            problems.append(
                f"cable {cid}: power {c['power_w']} W, the catalog gives {power:.2f} W "
                f"for {c['media']}"
            )
    for key, legs in sorted(_cage_groups(pf.cables).items()):
        kinds = {(c["media"], c["length_m"], c["stock_length_m"]) for c in legs}
        if len(kinds) > 1:
            ids = ", ".join(c["cable_id"] for c in legs)
            problems.append(
                f"breakout cage {'/'.join(key)}: legs {ids} differ in media/length/stock "
                f"{sorted(kinds)}"
            )
    return problems


def check_thin_media(pf: PlanFolder) -> list[str]:
    """Cables on a thinner and dearer media than the cheapest one of their speed whose
    stock covers their length: the plan's thinner media where the trays were full,
    counted and priced against ``summary.thin_media``. Not checked where something
    else picks the media too (a fabric's media rules, domestic sourcing, installed
    cables); breakout legs (sized to their assembly) are left out."""
    sc = pf.scenario
    options = sc.get("options") or {}
    fabrics = ([sc["fabric"]] if sc.get("fabric") else []) + list(sc.get("fabrics") or [])
    if options.get("sourcing") or sc.get("existing") or any(f.get("media") for f in fabrics):
        return []
    override = options.get("slack_m")
    legs = {c["cable_id"] for group in _cage_groups(pf.cables).values() for c in group}
    count, extra = 0, 0.0
    for c in pf.cables:
        if c["status"] != "ok" or not c["media"] or c["cable_id"] in legs:
            continue
        own = pf.media[c["media"]]
        base = _f(c["length_m"]) - 2 * (
            override if override is not None else own.get("slack_m", 0.5)
        )
        cheapest: tuple[float, dict] | None = None
        for m in pf.media.values():
            if int(m["speed_gbps"]) != int(float(c["speed_gbps"])):
                continue
            need = base + 2 * (override if override is not None else m.get("slack_m", 0.5))
            stocks = [x for x in m["stock_lengths_m"] if need - 1e-9 <= x <= m["reach_m"] + 1e-9]
            if stocks:
                price = _price(m, min(stocks))[0]
                if cheapest is None or price < cheapest[0] - 1e-9:
                    cheapest = (price, m)
        if cheapest is None:
            continue
        paid = _f(c["cost_usd"])
        if paid > cheapest[0] + EPS_USD and own["od_mm"] < cheapest[1]["od_mm"]:
            count += 1
            extra += paid - cheapest[0]
    said = pf.summary.get("thin_media") or {}
    problems = []
    if count != said.get("cables", 0):
        problems.append(
            f"summary.thin_media counts {said.get('cables', 0)} cables on thinner media, the "
            f"cable list has {count} thinner and dearer than the cheapest for their length"
        )
    elif count and abs(extra - said["extra_cost_usd"]) > EPS_USD * count:
        problems.append(
            f"summary.thin_media.extra_cost_usd {said['extra_cost_usd']}, the cable list "
            f"adds {extra:.2f} over the cheapest media for their lengths"
        )
    return problems


# ---------------------------------------------------------------- 4. routes


def expand_route(route: str) -> list[str]:
    """``T-A.005..001 > X-01.001`` -> ``[T-A.005, ..., T-A.001, X-01.001]``."""
    out: list[str] = []
    for part in route.split(" > "):
        tray, _, _ks = part.rpartition(".")
        if ".." in part:
            head, tail = part.split("..")
            tray, _, k0 = head.rpartition(".")
            k0, k1 = int(k0), int(tail)
            step = 1 if k1 >= k0 else -1
            out.extend(f"{tray}.{k:03d}" for k in range(k0, k1 + step, step))
        else:
            out.append(part)
    return out


def drop_points(floor: dict, racks: dict[str, dict]) -> dict[str, tuple[str, Point, float]]:
    """Each served rack's tray (the nearest within drop reach, ties to the lower id), the
    rack centre projected on it, and the distance."""
    trays = sorted(floor.get("trays", []), key=lambda t: t["id"])
    lines = {t["id"]: LineString(t["path"]) for t in trays}
    reach = floor.get("drop_reach", 1.5)
    out: dict[str, tuple[str, Point, float]] = {}
    for rid, r in sorted(racks.items()):
        if r["role"] == "empty":
            continue
        centre = Point(r["x"], r["y"])
        near = min(((lines[t].distance(centre), t) for t in lines), default=None)
        if near is not None and near[0] <= reach + 1e-9:
            line = lines[near[1]]
            out[rid] = (near[1], line.interpolate(line.project(centre)), near[0])
    return out


def tray_segments(floor: dict, racks: dict[str, dict]) -> dict[str, LineString]:
    """The floor's tray segments, split at vertices, junctions and rack drop points."""
    trays = sorted(floor.get("trays", []), key=lambda t: t["id"])
    lines = {t["id"]: LineString(t["path"]) for t in trays}
    tol = floor.get("junction_tolerance", 0.05)
    splits: dict[str, set[int]] = defaultdict(set)

    def split(tid: str, xy: tuple[float, float]) -> None:
        splits[tid].add(round(lines[tid].project(Point(xy)) * 1000))

    for t in trays:
        acc, prev = 0.0, t["path"][0]
        for v in t["path"]:
            acc += math.dist(prev, v)
            prev = v
            splits[t["id"]].add(round(acc * 1000))
        splits[t["id"]].add(round(lines[t["id"]].length * 1000))
    for i, t in enumerate(trays):
        for o in trays[i + 1 :]:
            a, b = lines[t["id"]], lines[o["id"]]
            inter = a.intersection(b)
            for g in getattr(inter, "geoms", [inter]):
                if g.is_empty:
                    continue
                pts = [(g.x, g.y)] if g.geom_type == "Point" else [g.coords[0], g.coords[-1]]
                for p in pts:
                    split(t["id"], p)
                    split(o["id"], p)
            for src, dst in ((t, o), (o, t)):
                for end in (src["path"][0], src["path"][-1]):
                    if lines[dst["id"]].distance(Point(end)) <= tol:
                        split(src["id"], end)
                        split(dst["id"], end)
    for tid, point, _ in drop_points(floor, racks).values():
        split(tid, point)
    out: dict[str, LineString] = {}
    for t in trays:
        cuts = sorted(splits[t["id"]])
        k = 0
        for t0, t1 in itertools.pairwise(cuts):
            if t1 == t0:
                continue
            k += 1
            out[f"{t['id']}.{k:03d}"] = shapely.ops.substring(lines[t["id"]], t0 / 1000, t1 / 1000)
    return out


def check_routes(pf: PlanFolder) -> list[str]:
    """Each route a chain of touching segments, ending within drop reach of its racks."""
    problems: list[str] = []
    segs = tray_segments(pf.floor, pf.racks)
    reach = pf.floor.get("drop_reach", 1.5)
    tol = pf.floor.get("junction_tolerance", 0.05) + 0.002
    drops = drop_points(pf.floor, pf.racks)
    elevation = {t["id"]: t.get("elevation", 2.7) for t in pf.floor.get("trays", [])}
    for r in pf.trays:
        geom = segs.get(r["segment"])
        if geom is None:
            problems.append(f"segment {r['segment']}: in trays.csv but not on the floor's trays")
        elif abs(geom.length - _f(r["length_m"])) > 0.0011:
            problems.append(
                f"segment {r['segment']}: trays.csv length {r['length_m']} m != "
                f"{geom.length:.3f} m on the floor"
            )
    for c in pf.cables:
        if not _routed(c):
            continue
        cid = c["cable_id"]
        ends = [drops.get(c["a_rack"]), drops.get(c["b_rack"])]
        if all(ends):
            # the cable falls from its tray to each rack top and runs sideways to the rack
            fall = sum(
                abs(elevation[e[0]] - pf.racks[c[f"{side}_rack"]]["top"]) + e[2]
                for side, e in zip("ab", ends, strict=True)
            )
            least = _f(c["route_m"]) + (fall if c["a_rack"] != c["b_rack"] else 0.0)
            if _f(c["length_m"]) + EPS_M < least:
                problems.append(
                    f"cable {cid}: length {c['length_m']} m is less than its route "
                    f"{c['route_m']} m and drops, {least:.3f} m"
                )
        if not c["tray_route"]:
            if c["a_rack"] != c["b_rack"] and (
                not all(ends) or ends[0][0] != ends[1][0] or ends[0][1].distance(ends[1][1]) > 0.002
            ):
                problems.append(
                    f"cable {cid}: no tray route between {c['a_rack']} and {c['b_rack']}, "
                    f"which do not share a drop point"
                )
            continue
        ids = expand_route(c["tray_route"])
        missing = [s for s in ids if s not in segs]
        if missing:
            problems.append(
                f"cable {cid}: route names segments not on the floor: {', '.join(missing)}"
            )
            continue
        for s, t in itertools.pairwise(ids):
            gap = segs[s].distance(segs[t])
            if gap > tol:
                problems.append(
                    f"cable {cid}: route breaks between {s} and {t} ({gap:.3f} m apart)"
                )
        for side, seg in (("a", ids[0]), ("b", ids[-1])):
            rid = c[f"{side}_rack"]
            if rid not in drops:
                problems.append(f"cable {cid}: rack {rid} has no tray within drop reach")
                continue
            tray, point, _ = drops[rid]
            d = segs[seg].distance(point)
            if seg.rpartition(".")[0] != tray or d > 0.002:
                problems.append(
                    f"cable {cid}: {side.upper()} end segment {seg} is {d:.3f} m from rack "
                    f"{rid}'s drop point on {tray} (within {reach} m of the rack)"
                )
        total = sum(segs[s].length for s in ids)
        if abs(total - _f(c["route_m"])) > 0.001 * len(ids) + 0.011:
            problems.append(
                f"cable {cid}: route_m {c['route_m']} != {total:.3f} m summed over its segments"
            )
    return problems


# ---------------------------------------------------------------- 5. bill of materials


def check_bom(pf: PlanFolder) -> list[str]:
    """Cable lines of the BOM against the cables; the BOM total against the summary."""
    problems: list[str] = []
    want: Counter[tuple[str, float]] = Counter()
    cost: dict[tuple[str, float], float] = defaultdict(float)
    for c in pf.cables:
        if c["media"] and c["status"] != "no-media":
            key = (c["media"], _f(c["stock_length_m"]))
            want[key] += 1
    got: Counter[tuple[str, float]] = Counter()
    for row in pf.bom:
        if row["category"] != "cable":
            continue
        media_id = row["description"].rsplit("(", 1)[-1].rstrip(")")
        key = (media_id, _f(row["length_m"]))
        got[key] += int(row["quantity"])
        cost[key] += _f(row["total_cost_usd"])
        media = pf.media.get(media_id)
        if media is not None:
            sku = f"{media['cable_sku']}-{row['length_m']}M"
            if row["sku"] != sku:
                problems.append(
                    f"BOM line {row['sku']}: expected SKU {sku} for {media_id} {row['length_m']} m"
                )
        unit, qty, tot = _f(row["unit_cost_usd"]), int(row["quantity"]), _f(row["total_cost_usd"])
        if abs(unit * qty - tot) > EPS_USD:
            problems.append(f"BOM line {row['sku']}: {qty} x {unit} != total {tot}")
    for key in sorted(set(want) | set(got)):
        if want[key] != got[key]:
            problems.append(
                f"BOM cable {key[0]} {key[1]} m: quantity {got[key]}, cables.csv has {want[key]}"
            )
    optics_want: Counter[str] = Counter()
    for c in pf.cables:
        optic = (pf.media.get(c["media"]) or {}).get("transceiver")
        if optic and c["status"] != "no-media":
            optics_want[optic["sku"]] += 2
    optics_got = Counter({r["sku"]: int(r["quantity"]) for r in pf.bom if r["category"] == "optic"})
    for sku in sorted(set(optics_want) | set(optics_got)):
        if optics_want[sku] != optics_got[sku]:
            problems.append(
                f"BOM optic {sku}: quantity {optics_got[sku]}, two a cable makes {optics_want[sku]}"
            )
    switches = Counter(d["model"] for d in pf.plan.get("devices", []) if d["model"] in pf.switches)
    rows = {r["sku"]: r for r in pf.bom if r["category"] == "switch"}
    for model in sorted(set(switches) | set(rows)):
        got = int(rows[model]["quantity"]) if model in rows else 0
        if got != switches[model]:
            problems.append(
                f"BOM switch {model}: quantity {got}, plan.json places {switches[model]}"
            )
        elif (
            model in pf.switches
            and abs(_f(rows[model]["unit_cost_usd"]) - pf.switches[model].get("cost_usd", 0))
            > EPS_USD
        ):
            problems.append(
                f"BOM switch {model}: unit cost {rows[model]['unit_cost_usd']}, the catalog "
                f"says {pf.switches[model].get('cost_usd')}"
            )
    switch_cost = sum(n * pf.switches[m].get("cost_usd", 0) for m, n in switches.items())
    if abs(switch_cost - pf.summary.get("switch_cost_usd", 0)) > EPS_USD:
        problems.append(
            f"summary.switch_cost_usd {pf.summary.get('switch_cost_usd')} != {switch_cost:.2f} "
            f"from the placed switches' catalog prices"
        )
    totals = [r for r in pf.bom if r["category"] == "total"]
    lines = [r for r in pf.bom if r["category"] != "total"]
    summed = sum(_f(r["total_cost_usd"]) for r in lines)
    if len(totals) != 1:
        problems.append(f"bom.csv has {len(totals)} total rows (expected 1)")
    else:
        if abs(_f(totals[0]["total_cost_usd"]) - summed) > EPS_USD * len(lines):
            problems.append(
                f"BOM total {totals[0]['total_cost_usd']} != its lines summed {summed:.2f}"
            )
        if abs(_f(totals[0]["total_cost_usd"]) - pf.summary["cost_usd"]) > EPS_USD:
            problems.append(
                f"BOM total {totals[0]['total_cost_usd']} != summary.cost_usd "
                f"{pf.summary['cost_usd']}"
            )
    return problems


# ---------------------------------------------------------------- entry points


def check_plan_folder(path: str | Path) -> list[str]:
    """Every check on one plan folder; an empty list when every claim holds."""
    pf = PlanFolder(path)
    out: list[str] = []
    for check in (
        check_totals,
        check_fill,
        check_lengths,
        check_thin_media,
        check_routes,
        check_bom,
    ):
        out.extend(check(pf))
    return out


MODE_OPTIONS = ("objective", "effort", "routing", "time_limit_s", "threads")


def fits(pf: PlanFolder) -> bool:
    """Every cable routed and every segment within its limit, from the cables' ODs."""
    if any(c["status"] != "ok" for c in pf.cables):
        return False
    trays = {t["id"]: t for t in pf.floor.get("trays", [])}
    default_limit = pf.floor.get("fill_limit", 0.4)
    area: dict[str, float] = defaultdict(float)
    for c in pf.cables:
        od = pf.media[c["media"]]["od_mm"]
        for seg in expand_route(c["tray_route"]) if c["tray_route"] else ():
            area[seg] += math.pi * od * od / 4
    for seg, a in area.items():
        tray = trays[seg.rpartition(".")[0]]
        limit = tray.get("fill_limit")
        limit = default_limit if limit is None else limit
        if a > limit * round(tray.get("width", 0.3) * 1000 * tray.get("depth", 0.1) * 1000) + 1e-6:
            return False
    return True


def check_bounds_across(folders: list[str | Path]) -> list[str]:
    """No plan's bound is above a fitting plan another mode found for the same scenario
    (options of the optimizer aside) and placement (the same devices in the same racks).

    A plan fits when every cable is routed and every segment is within its limit, as
    recomputed from the cables here; its length and cost are summed from cables.csv."""
    plans = [PlanFolder(f) for f in folders]
    problems: list[str] = []

    def key(pf: PlanFolder) -> str:
        sc = dict(pf.scenario)
        sc["options"] = {
            k: v for k, v in (sc.get("options") or {}).items() if k not in MODE_OPTIONS
        }
        return json.dumps([sc, pf.plan.get("devices")], sort_keys=True, default=str)

    fitting = [q for q in plans if fits(q)]
    for p in plans:
        for q in fitting:
            if p is q or key(p) != key(q):
                continue
            found = {
                "lower_bound_length_m": sum(_f(c["length_m"]) for c in q.cables),
                "lower_bound_cost_usd": sum(_f(c["cost_usd"]) for c in q.cables),
            }
            for bound, value in sorted(found.items()):
                b = p.summary.get(bound)
                if b is not None and b > value + 0.01:
                    problems.append(
                        f"{p.path.name}: {bound} {b} is above the {value:.3f} of "
                        f"{q.path.name}'s fitting plan"
                    )
    return problems

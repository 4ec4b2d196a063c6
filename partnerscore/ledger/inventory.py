"""The association inventory: every association of a partner, what it feeds and the points it carries.

For each association where the partner is credited (its own, and CSP_INDIRECT rows naming it as the
indirect provider): its mechanism and scope, its status on the day (in force, pending proof of
execution, conflicting, taken over, ended, not started, ineligible with the reason), the areas and
metrics it feeds on the path that counts, how it stands against other partners on the same scope, and
the points it carries: the partner's total score minus its score without it, by replay (the unchanged
engine scoring the ledger with the association ended before it started, `engine/whatif.py`).

A replay costs about a second, so only associations that can carry points are replayed. The others
carry 0 for a reason found without replaying, each exact except the last:
- ineligible, or not started on the day: it credits nothing (R4);
- it covers no usage of the months scored (M-23 … M), or only usage no metric counts: nothing it
  credits is read;
- another association of the partner credits every usage row it covers, for every metric that counts
  it (same type where a metric scores types apart, starting no later where the start month matters);
- it feeds no metric that has points on the path that counts (the brief's reading: its removal could
  only lower a metric already at 0; a lost customer's association may in fact hold a negative net
  count down, which this does not replay).
The remaining candidates are replayed most promising first, up to a budget; beyond it the points
are left empty (`None`) and the reason says so.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta

from ibis import _

from partnerscore.decisions.candidates import Scope, _scopes
from partnerscore.engine.attribution import covered_usage
from partnerscore.engine.connect import Tables, register_arrow
from partnerscore.engine.months import add_months, scoring_month
from partnerscore.engine.report import ScoreReport, round_half_up
from partnerscore.engine.scoring import score
from partnerscore.engine.whatif import EndAssociation, changed_tables
from partnerscore.errors import PartnerscoreError
from partnerscore.ledger.associations import Ledger, ledger_as_of
from partnerscore.ledger.audits import cpor_duplicates, tenant_mismatch
from partnerscore.ledger.listing import _status
from partnerscore.rules.load import RuleSet, rules_at
from partnerscore.rules.schema import AREAS, METRICS

#: Months the metrics read: M-23 … M (previous TTM to M); usage before them cannot change a score.
MONTHS_SCORED = 24
DEFAULT_REPLAYS = 10
INVENTORY_COLUMNS = ("association_id", "type", "credited_as", "tenant_id", "subscription_id", "workload",
                     "start_date", "effective_end", "status", "reason", "feeds", "points", "points_by_area",
                     "why_points", "shared")


@dataclass
class InventoryRow:
    """One association as the partner sees it."""

    association_id: str
    type: str
    credited_as: str
    tenant_id: str
    subscription_id: str | None
    workload: str | None
    start_date: date
    effective_end: date | None
    status: str
    reason: str | None
    feeds: list[str] = field(default_factory=list)
    points: float | None = 0.0
    points_by_area: dict[str, float] = field(default_factory=dict)
    why_points: str = ""
    shared: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        doc = asdict(self)
        for key in ("start_date", "effective_end"):
            doc[key] = doc[key].isoformat() if doc[key] else None
        return doc


@dataclass
class Inventory:
    """A partner's associations on a day, with the score they were measured against."""

    partner_id: str
    as_of: date
    rules_version: str
    total_points: float
    rows: list[InventoryRow]
    replayed: int
    not_replayed: int

    def to_json(self) -> dict:
        return {"partner_id": self.partner_id, "as_of": self.as_of.isoformat(), "rules_version": self.rules_version,
                "total_points": self.total_points, "replayed": self.replayed, "not_replayed": self.not_replayed,
                "associations": [r.to_json() for r in self.rows]}


def _holding_rows(ledger: Ledger, tables: Tables, partner_id: str, day: date) -> list[dict]:
    """The partner's holding versions with status, reason and conflicts (audits), one dict each.

    A CPOR co-claim is a conflict only between claims valid on the day: one that ended before it, or
    starts after it, claims nothing against this one now (the same reading as `shared_scope`).
    """
    mine = (_.partner_id == partner_id) | (_.indirect_provider_id == partner_id)
    holding = ledger.holding.filter(mine)
    rows = holding.mutate(status=_status(holding, day)).order_by("association_id").to_pyarrow().to_pylist()
    ids = [r["association_id"] for r in rows] or [""]
    on_the_day = Ledger(ledger.holding.filter(_.start_date <= day, _.effective_end.isnull() | (_.effective_end >= day)),
                        ledger.credits)
    conflicts = defaultdict(list)
    for audit in (cpor_duplicates(on_the_day), tenant_mismatch(ledger, tables)):
        for f in audit.filter(_.association_id.isin(ids)).select("association_id", "reason").to_pyarrow().to_pylist():
            conflicts[f["association_id"]].append(f["reason"])
    for row in rows:
        row["conflicts"] = conflicts.get(row["association_id"], [])
    return rows


def _status_and_reason(row: dict, poe_approved: str) -> tuple[str, str | None]:
    status, reason = row["status"], row["ineligible"]
    if status == "ineligible" and row["type"].startswith("CPOR") and row["incentive"] \
            and row["poe_status"] in ("none", "submitted") and reason.startswith("incentive CPOR"):
        return "pending proof of execution", f"incentive claim counts once its proof of execution is {poe_approved} " \
                                             f"(now: {row['poe_status']})"
    if status == "taken over":
        return status, f"taken over by {row['taken_over_by']} on {row['taken_over_on']}"
    if status == "in force" and row["conflicts"]:
        return "conflicting", "; ".join(row["conflicts"])
    if status == "ended":
        return status, f"ended {row['effective_end']}"
    if status == "not started":
        return status, f"starts {row['start_date']}"
    return status, reason


def _covered(tables: Tables, ledger: Ledger, partner_id: str, month: date) -> list[dict]:
    """The partner's covered usage rows of the months scored, one per (row, crediting association)."""
    credits = ledger.credits.filter(_.partner_id == partner_id)
    rows = covered_usage(tables, Ledger(ledger.holding, credits), month)
    rows = rows.filter(_.month >= add_months(month, 1 - MONTHS_SCORED))
    return rows.select("association_id", "type_group", "start_month", "tenant_id", "subscription_id",
                       "workload_key", "month", "program", "cloud").to_pyarrow().to_pylist()


def _counts_in(scope: Scope, row: dict) -> bool:
    """Whether a metric scope reads this covered row through the row's association type group."""
    if row["type_group"] not in scope.groups or not scope.matches(row):
        return False
    return not (row["type_group"] == "CPOR_OSU" and scope.osu_programs and row["program"] not in scope.osu_programs)


@dataclass
class _Reach:
    """What one association's covered rows reach: metric scopes, and whether another covers them all."""

    scopes: set[str] = field(default_factory=set)  # `area.path.metric.part`
    exposed: int = 0  # rows some scope reads through this association alone
    covered_by: set[str] = field(default_factory=set)


def _scope_index(rules) -> dict[Scope, list[str]]:
    """Every area's usage-metric scopes, each with the `area.path.metric.part` keys it stands for
    (the three Azure areas share theirs, R13)."""
    index: dict[Scope, list[str]] = defaultdict(list)
    for area in AREAS:
        for scope in _scopes(rules.areas[area], set(METRICS)):
            index[Scope("", scope.groups, scope.workloads, scope.azure_only, scope.osu_programs)].append(
                f"{area}.{scope.key}")
    return index


def _reach(covered: list[dict], index: dict[Scope, list[str]]) -> dict[str, _Reach]:
    """Per association: the scopes it feeds and the rows no other association covers for them (R5)."""
    by_row = defaultdict(list)
    for r in covered:
        by_row[(r["tenant_id"], r["subscription_id"], r["workload_key"], r["month"])].append(r)
    reach: dict[str, _Reach] = defaultdict(_Reach)
    for rows in by_row.values():
        for scope, keys in index.items():
            reading = [r for r in rows if _counts_in(scope, r)]
            for r in reading:
                mine = reach[r["association_id"]]
                mine.scopes.update(keys)
                # A scope scoring one type alone also reads the covering association's start (R10, R15).
                others = [o["association_id"] for o in reading if o["association_id"] != r["association_id"]
                          and (len(scope.groups) > 1 or o["start_month"] <= r["start_month"])]
                if others:
                    mine.covered_by.update(others)
                else:
                    mine.exposed += 1
        for r in rows:
            reach.setdefault(r["association_id"], _Reach())
    return reach


def _feeds(reach: _Reach, report: ScoreReport, partner_id: str) -> tuple[list[str], bool]:
    """`area.metric` it feeds on the path that counts, and whether one of them has points."""
    fed, with_points = [], False
    for area in report.partner(partner_id).areas:
        names = {key.split(".")[2] for key in reach.scopes if key.split(".")[:2] == [area.area, area.track]}
        for metric in area.metrics:
            if metric.metric in names:
                fed.append(f"{area.area}.{metric.metric}")
                with_points |= metric.points > 0
    return fed, with_points


def _carried(tables: Tables, partner_id: str, day: date, row: dict, before: ScoreReport,
             rules: RuleSet) -> dict[str, float]:
    """Points per area the partner loses without the association (replayed; negative = it gains).

    Only the areas whose rules read the association's type are replayed: no other can move.
    """
    gone = EndAssociation(action="end_association", association_id=row["association_id"],
                          end_date=row["start_date"] - timedelta(days=1))
    areas = rules.areas_reading(row["type"])
    after = score(changed_tables(tables, [gone], day), day, partners=[partner_id], areas=areas)
    areas_after = {a.area: a.points for a in after.partner(partner_id).areas}
    return {a.area: a.points - areas_after[a.area] for a in before.partner(partner_id).areas
            if a.area in areas_after and a.points != areas_after[a.area]}


def _replay_named(tables: Tables) -> Tables:
    """The same tables with the associations under the name what-if replays register theirs.

    A compiled scoring plan is keyed by table names (`engine/plan.py`): scoring the baseline under the
    replays' name lets every replay reuse the baseline's plan instead of compiling its own. Each replay
    re-registers that name, so only the baseline score may read through these tables.
    """
    rows = tables.associations.to_pyarrow()
    return replace(tables, associations=register_arrow(tables.backend, "ps_whatif_associations", rows))


def inventory(tables: Tables, partner_id: str, day: date, *, replays: int | None = DEFAULT_REPLAYS) -> Inventory:
    """Every association of `partner_id` on `day` with status, feeds, shared scopes and points carried.

    `replays` caps how many candidate associations are replayed (None: all of them).
    """
    rules = rules_at(day)
    before = score(_replay_named(tables), day, rules=rules, partners=[partner_id])
    if not before.partners:
        raise PartnerscoreError(f"unknown partner {partner_id!r}; `partnerscore score` lists the partners")
    ledger = ledger_as_of(tables, rules, day)
    holding = _holding_rows(ledger, tables, partner_id, day)
    reach = _reach(_covered(tables, ledger, partner_id, scoring_month(day)), _scope_index(rules))
    shared = shared_scope(ledger, partner_id, holding, day)
    rows, candidates = [], []
    for h in holding:
        status, reason = _status_and_reason(h, rules.associations.incentive_requires_poe)
        r = InventoryRow(h["association_id"], h["type"], "indirect provider (CSP Tier 1)"
                         if h["partner_id"] != partner_id else "partner", h["tenant_id"], h["subscription_id"],
                         h["workload"], h["start_date"], h["effective_end"], status, reason,
                         shared=shared.get(h["association_id"], []))
        rows.append(r)
        got = reach.get(h["association_id"])
        r.feeds, with_points = _feeds(got, before, partner_id) if got else ([], False)
        r.why_points = _zero_reason(h, status, got, with_points)
        if not r.why_points:
            candidates.append((r, h, got))
    candidates.sort(key=lambda c: (-sum(1 for f in c[0].feeds), -c[2].exposed, c[0].association_id))
    budget = len(candidates) if replays is None else max(replays, 0)
    for n, (r, h, _got) in enumerate(candidates):
        if n >= budget:
            r.points, r.why_points = None, f"not replayed: over the budget of {budget} replays (--replays)"
            continue
        by_area = _carried(tables, partner_id, day, h, before, rules)
        r.points = round_half_up(sum(by_area.values(), 0))
        r.points_by_area = {a: round_half_up(p) for a, p in by_area.items()}
        r.why_points = "replayed: the score without it" + ("" if by_area else " is the same")
    total = round_half_up(sum((a.points for a in before.partner(partner_id).areas), 0))
    return Inventory(partner_id, day, rules.version, total, rows, min(budget, len(candidates)),
                     max(len(candidates) - budget, 0))


def _zero_reason(h: dict, status: str, reach: _Reach | None, with_points: bool) -> str:
    """Why the association carries 0 without replaying it; empty when it must be replayed."""
    if h["type"] == "TPOR":
        return "transactional recognition only: TPOR counts toward no metric (R3)"
    if status in ("ineligible", "pending proof of execution"):
        return f"credits nothing: {status}"
    if status == "not started":
        return "credits nothing yet: starts " + str(h["start_date"])
    if reach is None:
        return "covers no usage of the months scored"
    if not reach.scopes:
        return "covers only usage no metric counts"
    if reach.exposed == 0:
        return "another association credits the same usage for every metric: " + ", ".join(sorted(reach.covered_by))
    if not with_points:
        return "feeds no metric with points on the path that counts"
    return ""


def _same_scope(mine: dict, other: dict) -> bool:
    if mine["type"] == "CPOR_OSU" or other["type"] == "CPOR_OSU":
        subs = {mine["subscription_id"], other["subscription_id"]}
        return (mine["type"] == other["type"] and mine["tenant_id"] == other["tenant_id"]
                and mine["workload_key"] == other["workload_key"] and (None in subs or len(subs) == 1))
    if mine["subscription_id"] is None or other["subscription_id"] is None:  # CSP on the whole tenant
        return mine["tenant_id"] == other["tenant_id"]
    return mine["subscription_id"] == other["subscription_id"]


def _valid_on(row: dict, day: date) -> bool:
    """Whether an association's valid period (start to effective end, after takeovers) includes `day`."""
    return row["start_date"] <= day and (row["effective_end"] is None or day <= row["effective_end"])


def _shared_line(mine: dict, other: dict, partner_id: str, day: date) -> str | None:
    """How one other partner's association on the same scope stands against this one on `day` (R4), or None.

    A DPOR takeover is named whenever it happened: it is why one of the two ended. Any other line needs
    both associations valid on the day: a claim that ended before it, or starts after it, shares nothing.
    """
    who, kind = other["partner_id"], other["type"]
    if kind == "DPOR" and mine["type"] == "DPOR":
        if mine["taken_over_by"] == who:
            return f"{who}'s DPOR holds from {mine['taken_over_on']}: one DPOR per subscription, the later one wins"
        if other["taken_over_by"] == partner_id:
            return f"took over from {who}'s DPOR on {other['taken_over_on']}: one DPOR per subscription, the later one wins"
    if not (_valid_on(mine, day) and _valid_on(other, day)):
        return None
    if kind == "DPOR" and mine["type"] == "DPOR":
        return f"{who} also has a DPOR here ({other['start_date']} … {other['effective_end'] or 'open'})"
    if kind == mine["type"] and kind.startswith("CPOR"):
        return f"{who} claims the same {kind} scope too: one CPOR per customer and workload; both count until settled"
    if kind == "PAL" and mine["type"] == "PAL":
        return f"shared with {who}'s PAL: PAL credits every linked partner"
    if kind.startswith("CSP") and mine["type"] == "DPOR" and mine["ineligible"]:
        return f"{who} transacts the CSP subscription: the CSP partner holds it, not a DPOR"
    if kind.startswith("CSP") and mine["type"].startswith("CSP"):
        return f"{who} also transacts as CSP for this customer: multi-partner, each is credited"
    if kind == "DPOR" and mine["type"] in ("PAL", "CPOR_OSA", "CPOR_REVREC", "TPOR") and not other["ineligible"]:
        return f"{who} is this subscription's DPOR"
    return None


def shared_scope(ledger: Ledger, partner_id: str, holding: list[dict], day: date) -> dict[str, list[str]]:
    """Per association of the partner: other partners' associations on the same scope on `day` and who counts."""
    tenants = sorted({h["tenant_id"] for h in holding})
    others = ledger.holding.filter(_.partner_id != partner_id, _.tenant_id.isin(tenants or [""]))
    by_tenant = defaultdict(list)
    for o in others.to_pyarrow().to_pylist():
        by_tenant[o["tenant_id"]].append(o)
    out = {}
    for h in holding:
        lines = []
        if h["type"] == "CSP_INDIRECT":
            lines.append(f"reseller {h['partner_id']} is credited as CSP Tier 2, provider "
                         f"{h['indirect_provider_id'] or '(none named)'} as CSP Tier 1")
        for o in by_tenant.get(h["tenant_id"], []):
            line = _same_scope(h, o) and _shared_line(h, o, partner_id, day)
            if line and line not in lines:
                lines.append(line)
        out[h["association_id"]] = lines
    return out

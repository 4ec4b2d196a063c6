"""Association-loss and score risks, each with a severity and the fix (`partnerscore alerts`).

Found in the ledger as of a day (`ledger/associations.py`, the same holding versions scoring uses):

- an association that feeds points (it covers usage of the trailing twelve months for a type some
  area counts) and ends within the horizon;
- a PAL whose role is not eligible, or that names no principal (the credential cannot be checked);
- a CPOR incentive claim whose proof of execution is rejected, or not yet approved;
- a DPOR another partner has taken over (or will take over within the horizon);
- a certification that counts today and expires, or stops counting (`counts_until`), within the horizon;
- verified by what-if: every metric that falls to zero, and every area that stops qualifying, when the
  expiring associations and certifications are gone (ended before the scoring month, rescored).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta

from ibis import _

from partnerscore.decisions.candidates import _scopes
from partnerscore.engine.attribution import covered_usage
from partnerscore.engine.connect import Tables
from partnerscore.engine.metrics import skilling
from partnerscore.engine.metrics.base import Context
from partnerscore.engine.months import scoring_month
from partnerscore.engine.scoring import score
from partnerscore.engine.whatif import EndAssociation, ExpireCertification, changed_tables
from partnerscore.errors import PartnerscoreError
from partnerscore.ledger.associations import ledger_as_of
from partnerscore.rules.load import RuleSet, rules_at
from partnerscore.rules.schema import AREAS, METRICS

SEVERITIES = ("low", "medium", "high", "critical")
ALERT_COLUMNS = ("severity", "partner_id", "kind", "subject", "areas", "due", "message", "fix")


@dataclass(frozen=True)
class Alert:
    """One risk: what it is, what it touches, by when, and what to do."""

    severity: str
    partner_id: str
    kind: str
    subject: str
    areas: str
    due: date | None
    message: str
    fix: str

    def to_json(self) -> dict:
        doc = asdict(self)
        doc["due"] = self.due.isoformat() if self.due else None
        return doc


def nothing_found(within: int) -> str:
    """What an empty list of alerts means: what was looked for and not found, not that all is well (a
    partner with nothing to lose has no alert either)."""
    return (f"no association that feeds points and no certification that counts ends within {within} days, and no "
            "PAL role, proof of execution or DPOR takeover needs a fix")


def at_least(severity: str, floor: str) -> bool:
    """Whether `severity` is `floor` or worse."""
    return SEVERITIES.index(severity) >= SEVERITIES.index(floor)


def _feeds(rules: RuleSet, feeding: list[dict]) -> dict[str, list[str]]:
    """The areas each association feeds: an area some of whose usage metrics count the type group and
    the workload (and cloud) of a usage row the association covers. An association covering only usage
    no area counts feeds nothing, and gets no "ending" alert."""
    scopes = {area: _scopes(rules.areas[area], set(METRICS)) for area in AREAS}
    feeds: dict[str, set[str]] = {}
    for row in feeding:
        areas = {a for a, found in scopes.items() if any(row["type_group"] in s.groups and s.matches(row) for s in found)}
        if areas:
            feeds.setdefault(row["association_id"], set()).update(areas)
    return {aid: sorted(areas) for aid, areas in feeds.items()}


def alerts(tables: Tables, day: date, *, partner: str | None = None, within: int = 90) -> list[Alert]:
    """Every alert for `partner` (or every partner) as of `day`, looking `within` days ahead."""
    rules = rules_at(day)
    horizon = day + timedelta(days=within)
    partners = [partner] if partner else tables.partners.select("partner_id").to_pyarrow().column(0).to_pylist()
    if partner and not tables.partners.filter(_.partner_id == partner).count().to_pyarrow().as_py():
        raise PartnerscoreError(f"unknown partner {partner!r}; `partnerscore score` lists the partners")
    ledger = ledger_as_of(tables, rules, day)
    rows = ledger.holding.filter(_.partner_id.isin(partners)).to_pyarrow().to_pylist()
    found, ending_ids = _association_alerts(tables, rules, ledger, rows, day, horizon, partners)
    expiring_certs = _certification_alerts(tables, rules, day, horizon, partners)
    found += [a for a, _change in expiring_certs]
    gone = scoring_month(day) - timedelta(days=1)  # ended before the scoring month: as if already lost
    ending = [EndAssociation(action="end_association", association_id=aid, end_date=gone) for aid in ending_ids]
    found += _score_risks(tables, day, partners, ending + [c for _a, c in expiring_certs], found)
    return sorted(found, key=lambda a: (-SEVERITIES.index(a.severity), a.partner_id, a.due or horizon, a.subject))


def _association_alerts(tables, rules, ledger, rows, day, horizon, partners) -> tuple[list[Alert], list[str]]:
    month = scoring_month(day)
    ttm_start = month.replace(year=month.year - 1)
    feeding = covered_usage(tables, ledger, month).filter(_.partner_id.isin(partners) & (_.month > ttm_start))
    feeding = feeding.select("association_id", "type_group", "workload_key", "cloud").distinct()
    feeds = _feeds(rules, feeding.to_pyarrow().to_pylist())
    out, ending = [], []
    for r in rows:
        aid, pid, kind = r["association_id"], r["partner_id"], r["type"]
        subject = f"{kind} {aid} on customer {r['tenant_id']}"
        areas = ", ".join(feeds.get(aid, []))
        end = r["effective_end"]
        if r["taken_over_on"] is not None and ttm_start < r["taken_over_on"] <= horizon:
            verb = "was" if r["taken_over_on"] <= day else "will be"
            out.append(Alert("high", pid, "dpor taken over", subject, areas, r["taken_over_on"],
                             f"{verb} taken over by {r['taken_over_by']}'s DPOR from {r['taken_over_on']}: "
                             "the customer's usage on the subscription counts for them, not you",
                             "ask the customer to designate you DPOR again if you still run the solution, "
                             "or cover the customer through a PAL link"))
        elif aid in feeds and end is not None and day <= end <= horizon:
            out.append(Alert("high", pid, "association ending", subject, areas, end,
                             f"ends {end} and feeds points in {areas}",
                             "renew it before it ends (`partnerscore plan … --by` weighs the renewal)"))
            ending.append(aid)
        if kind == "PAL" and r["ineligible"]:
            out.append(Alert("medium", pid, "pal role not eligible", subject, "", None, r["ineligible"],
                             "give the linked credential Owner, Contributor or another write role on the resources"))
        elif kind == "PAL" and not r["principal_id"]:
            out.append(Alert("low", pid, "pal principal missing", subject, "", None,
                             "names no principal (user or service principal): the link cannot be checked",
                             "record the principal the PartnerID is linked to"))
        if kind.startswith("CPOR") and r["incentive"] and r["poe_status"] != rules.associations.incentive_requires_poe:
            rejected = r["poe_status"] == "rejected"
            out.append(Alert("high" if rejected else "medium", pid, "proof of execution", subject, "", None,
                             f"incentive claim with proof of execution {r['poe_status']}: it counts toward nothing",
                             "resubmit the proof of execution" if rejected else "submit the proof of execution and "
                             "follow it to approval"))
    return out, ending


def _certification_alerts(tables, rules, day, horizon, partners) -> list[tuple[Alert, ExpireCertification]]:
    """Certifications that count today in some area and expire, or stop counting, within the horizon."""
    counting: dict[tuple[str, str, str], set[str]] = {}
    month = scoring_month(day)
    for area in AREAS:
        ctx = Context(tables=tables, day=day, month=month, rules=rules, usage=None, covered=None,
                      scale=rules.points_scale, area=rules.areas[area])
        lists = set(rules.areas[area].certification_lists)
        for name in lists:
            held = skilling.people(ctx, name).filter(_.partner_id.isin(partners)).to_pyarrow().to_pylist()
            for r in held:
                counting.setdefault((r["partner_id"], r["person_id"], r["certification"]), set()).add(area)
    retiring = {}
    for area in AREAS:
        for certs in rules.areas[area].certification_lists.values():
            for cert in certs:
                if cert.counts_until is not None:
                    retiring[cert.name.lower()] = cert.counts_until
                    if cert.code:
                        retiring[cert.code.lower()] = cert.counts_until
    certs = tables.certifications.filter(_.partner_id.isin(partners)).to_pyarrow().to_pylist()
    out = []
    for r in certs:
        key = (r["partner_id"], r["person_id"], r["certification"])
        if key not in counting:
            continue
        stops = [d for d in (r["expires_on"], retiring.get(r["certification"].lower())) if d is not None]
        end = min(stops, default=None)
        if end is None or not day <= end <= horizon:
            continue
        retires = end != r["expires_on"]
        areas = ", ".join(sorted(counting[key]))
        alert = Alert("medium", r["partner_id"], "certification expiring", f"{r['person_id']}: {r['certification']}",
                      areas, end, f"{'stops counting (retired)' if retires else 'expires'} {end}; counts in {areas}",
                      "take the successor exam" if retires else "renew it (the free online renewal assessment)")
        out.append((alert, ExpireCertification(action="expire_certification", partner_id=r["partner_id"],
                                                person_id=r["person_id"], certification=r["certification"],
                                                expires_on=day - timedelta(days=1))))
    return out


def _score_risks(tables, day, partners, changes, found) -> list[Alert]:
    """Metrics that fall to zero and areas that stop qualifying once the expiring things are gone."""
    if not changes:
        return []
    before = score(tables, day, partners=partners)
    after = score(changed_tables(tables, changes, day), day, partners=partners)
    out = []
    for b, a in zip(before.partners, after.partners):
        for area_b, area_a in zip(b.areas, a.areas):
            causes = "; ".join(x.subject for x in found if x.partner_id == b.partner_id and area_b.area in x.areas
                               and x.kind in ("association ending", "certification expiring")) or "the expiring items"
            if area_b.qualified and not area_a.qualified:
                out.append(Alert("critical", b.partner_id, "area stops qualifying", area_b.area, area_b.area, None,
                                 f"{area_b.area} stops qualifying ({float(area_b.points):.2f} → "
                                 f"{float(area_a.points):.2f} points) without: {causes}",
                                 f"renew before they end: {causes}"))
            for mb, ma in zip(area_b.metrics, area_a.metrics):
                if mb.points > 0 and ma.points == 0:
                    out.append(Alert("critical", b.partner_id, "metric falls to zero", f"{area_b.area}.{mb.metric}",
                                     area_b.area, None, f"{mb.metric} falls from {float(mb.points):.2f} to 0 points "
                                     f"without: {causes}", f"renew before they end: {causes}"))
    return out

"""A large synthetic data set for load tests, written as Parquet a chunk of customers at a time.

`generate_large()` generalises the demo over N partners: each partner gets one of the demo's kinds
(direct-bill CSP, systems integrator, Azure MSP, indirect provider with its resellers, LSP), customers
are assigned to partners' books (a fifth buy direct, with no partner), and every table is streamed to
its Parquet file with `pyarrow.parquet.ParquetWriter`. Memory stays bounded by one chunk however large
the data set: a hundred million usage rows are never held at once.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq

from partnerscore.demo._books import Roster, csp_customer, direct_customer, msp_customer, si_customer
from partnerscore.demo._builder import SCHEMAS, Builder
from partnerscore.demo._catalog import company_name
from partnerscore.demo._quirks import (Cast, add_conflicts, add_corrections, add_unknown_workload,
                                       certify)

__all__ = ["generate_large"]

# Partner kinds in the order they are handed out; a reseller belongs to the latest provider.
_KIND_CYCLE = ("direct_bill", "services_si", "services_msp", "indirect_provider", "indirect_reseller",
               "indirect_reseller", "lsp", "direct_bill", "services_msp", "indirect_reseller")
_ROLE = {"services_si": "services", "services_msp": "services"}
_LABEL = {"direct_bill": "Cloud", "services_si": "Consulting", "services_msp": "Managed Services",
          "indirect_provider": "Distribution", "indirect_reseller": "IT", "lsp": "Licensing"}
# Relative size of a partner's book by kind (a provider has no book of its own: its resellers' count).
_BOOK_WEIGHT = {"direct_bill": 3.0, "indirect_reseller": 1.5, "services_si": 0.8, "services_msp": 1.2,
                "lsp": 0.6, "indirect_provider": 0.0}
_UNMANAGED = 0.2  # share of customers no partner is associated with

_A, _E, _L = "active", "expired", "lifetime"
#: Certification templates by kind: (certifications, fewest people, most people, state).
_PEOPLE = {
    "direct_bill": [(("Teams Administrator Associate",), 0, 4, _A),
                    (("Enterprise Administrator Expert",), 0, 2, _A),
                    (("Microsoft 365 Fundamentals",), 0, 3, _L), (("AZ-500",), 0, 2, _A),
                    (("Azure Administrator Associate",), 0, 2, _E)],
    "services_si": [(("Azure Administrator Associate", "Azure Solutions Architect Expert"), 1, 4, _A),
                    (("Azure AI Engineer Associate",), 0, 6, _A),
                    (("Fabric Data Engineer Associate",), 0, 5, _A),
                    (("Power Platform Functional Consultant Associate",), 0, 12, _A),
                    (("PL-600",), 0, 5, _A), (("Teams Administrator Associate",), 0, 5, _A),
                    (("Enterprise Administrator Expert",), 0, 2, _E)],
    "services_msp": [(("AZ-104", "Azure Network Engineer Associate"), 1, 5, _A),
                     (("Azure Solutions Architect Expert",), 0, 3, _A),
                     (("Azure Virtual Desktop Specialty",), 0, 4, _A),
                     (("Azure Security Engineer Associate", "SC-200"), 0, 3, _A),
                     (("Cybersecurity Architect Expert",), 0, 6, _A),
                     (("Azure Developer Associate",), 0, 2, _E)],
    "indirect_provider": [(("Teams Administrator Associate",), 0, 3, _A),
                          (("Azure Administrator Associate",), 0, 2, _A)],
    "indirect_reseller": [(("Endpoint Administrator Associate",), 0, 3, _A),
                          (("Teams Meetings and Meeting Rooms Technical Assessment",), 0, 1, _L)],
    "lsp": [(("Microsoft 365 Fundamentals",), 0, 2, _L), (("Azure Fundamentals",), 0, 3, _L)],
}


def _partners(n: int, b: Builder) -> list[tuple[str, str]]:
    """Add `n` partners to `b`; return (partner_id, kind) for each."""
    out, provider = [], None
    for i in range(n):
        kind = _KIND_CYCLE[i % len(_KIND_CYCLE)]
        partner_id = str(5_000_001 + i)
        parent = provider if kind == "indirect_reseller" else None
        if kind == "indirect_provider":
            provider = partner_id
        b.add("partners", partner_id=partner_id, name=f"{company_name(b.rnd)} {_LABEL[kind]} {i + 1}",
              role=_ROLE.get(kind, kind), parent_partner_id=parent)
        out.append((partner_id, kind))
    return out


def _books(partners: list[tuple[str, str]], roster: Roster):
    """The books customers are drawn from: (weight, kind, make(builder, full))."""
    parents = dict(roster.resellers)
    books = []
    for partner_id, kind in partners:
        weight = _BOOK_WEIGHT[kind]
        if kind == "direct_bill":
            make = lambda b, full, p=partner_id: csp_customer(b, roster, p, full=full)  # noqa: E731
        elif kind == "indirect_reseller":
            make = lambda b, full, p=partner_id: csp_customer(  # noqa: E731
                b, roster, p, provider_id=parents[p], full=full)
        elif kind == "services_si":
            make = lambda b, full, p=partner_id: si_customer(b, roster, p, full=full)  # noqa: E731
        elif kind == "services_msp":
            make = lambda b, full, p=partner_id: msp_customer(b, roster, p, full=full)  # noqa: E731
        elif kind == "lsp":
            make = lambda b, full, p=partner_id: direct_customer(b, roster, p)  # noqa: E731
        else:
            continue
        books.append((weight, kind, make))
    total = sum(weight for weight, _, _ in books) or 1.0
    unmanaged = total * _UNMANAGED / (1 - _UNMANAGED) if books else 1.0
    books.append((unmanaged, "direct", lambda b, full: direct_customer(b, roster)))
    return books


def generate_large(out_dir: Path | str, *, partners: int, customers: int, months: int, seed: int = 7,
                   end_month: str = "2026-10", progress: Callable[[int, int], None] | None = None,
                   chunk_customers: int | None = None) -> dict[str, int]:
    """Write a large synthetic data set as Parquet files in `out_dir`, streaming a chunk at a time.

    Args:
        out_dir: the data set folder (created if missing); one `<table>.parquet` per table.
        partners: how many partners; kinds are handed out in a fixed cycle (CSP, SI, MSP, provider,
            resellers, LSP, …), so seven or more partners give every kind.
        customers: how many customer tenants.
        months: months of usage, ending with `end_month` (at least 12).
        seed: the random seed; the same arguments write the same data.
        progress: called as `progress(customers_done, customers)` after each chunk.
        chunk_customers: customers per chunk (default: about 400,000 usage rows per chunk).

    Returns:
        The number of rows written per table.
    """
    if partners < 1 or customers < 1 or months < 12:
        raise ValueError("need at least one partner, one customer and 12 months")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    chunk = chunk_customers or max(1, 400_000 // (months * 7))
    writers = {name: pq.ParquetWriter(out / f"{name}.parquet", schema)
               for name, schema in SCHEMAS.items()}
    counts = dict.fromkeys(SCHEMAS, 0)

    def flush(b: Builder, tables) -> None:
        for name in tables:
            table = b.usage_table() if name == "usage" else b.table(name)
            writers[name].write_table(table)
            counts[name] += table.num_rows

    try:
        head = Builder(seed, months=months, end_month=end_month)
        roster_rows = _partners(partners, head)
        by_kind: dict[str, list[str]] = {}
        for partner_id, kind in roster_rows:
            by_kind.setdefault(kind, []).append(partner_id)
        roster = Roster(lsp=tuple(by_kind.get("lsp", ())), msp=tuple(by_kind.get("services_msp", ())),
                        resellers=tuple((p, head.rows["partners"]["parent_partner_id"][i])
                                        for i, (p, kind) in enumerate(roster_rows)
                                        if kind == "indirect_reseller"))
        flush(head, ["partners"])
        books = _books(roster_rows, roster)
        cum, acc = [], 0.0
        for weight, _, _ in books:
            acc += weight
            cum.append(acc)
        done, seq, chunk_no = 0, 0, 0
        while done < customers:
            b = Builder(seed * 100_003 + chunk_no + 1, months=months, end_month=end_month,
                        assoc_seq=seq)
            size = min(chunk, customers - done)
            made = 0
            if chunk_no == 0:  # one full-footprint customer per kind, so every conflict has a home
                firsts = {}
                for weight, kind, make in books:
                    firsts.setdefault(kind, make)
                for kind in ("direct_bill", "indirect_reseller", "services_si", "services_msp"):
                    if kind in firsts and made < size:
                        firsts[kind](b, True)
                        made += 1
            for _ in range(size - made):
                b.rnd.choices(books, cum_weights=cum)[0][2](b, False)
            if chunk_no == 0:
                first = {kind: ids[0] for kind, ids in by_kind.items()}
                add_conflicts(b, Cast(csp=first.get("direct_bill"), si=first.get("services_si"),
                                      msp=first.get("services_msp"), lsp=first.get("lsp")))
                add_unknown_workload(b)
            add_corrections(b)
            flush(b, ["customers", "subscriptions", "associations", "usage"])
            done, seq, chunk_no = done + size, b.assoc_seq, chunk_no + 1
            if progress:
                progress(done, customers)
        for start in range(0, len(roster_rows), 1000):
            b = Builder(seed * 100_003 - start - 1, months=months, end_month=end_month)
            for partner_id, kind in roster_rows[start:start + 1000]:
                certify(b, partner_id, [(b.rnd.randint(lo, hi), certs, state)
                                        for certs, lo, hi, state in _PEOPLE[kind]])
            flush(b, ["certifications"])
    finally:
        for writer in writers.values():
            writer.close()
    return counts

"""The HTML pages. Each renders the model its JSON twin returns (linked from the page as `json_url`)."""

from __future__ import annotations

from collections import Counter
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from partnerscore.errors import ImportFailed
from partnerscore.limits import PAGE_OFFSET, TREND_MONTHS
from partnerscore.ledger.listing import STATUSES
from partnerscore.web import charts, views
from partnerscore.web.deps import (
    AdminUser, Area, AsOf, CurrentPartner, CurrentUser, DbDep, check_partner_filter, known_partners,
)
from partnerscore.web.errors import bad_row
from partnerscore.web.pages import _query, render
from partnerscore.web.routes.imports import check_size, import_uploads
from partnerscore.web.routes.ledger import AssociationType
from partnerscore.web.routes.partners import visible_partners
from partnerscore.web.routes.scores import read_partner_scores
from partnerscore.web.schemas import ScorePublic
from partnerscore.web.security import csrf_token, csrf_valid

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
PAGE_SIZE = 50


def _local(target: str | None) -> str:
    """A redirect target on this site only (no scheme, no host, no `//`)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/login")
async def login_form(request: Request, next: str | None = None):
    return render(request, "login.html", {"next": _local(next), "failed": False})


@router.post("/login")
async def login(request: Request, username: Annotated[str, Form()], token: Annotated[str, Form()],
                csrf_token_: Annotated[str, Form(alias="csrf_token")] = "", next: Annotated[str, Form()] = "/"):
    if not csrf_valid(request.session, csrf_token_):
        return render(request, "login.html", {"next": _local(next), "failed": "The form expired; try again."}, 403)
    user = request.app.state.ps.users.by_token(token.strip())
    if user is None or user.name != username.strip():
        return render(request, "login.html", {"next": _local(next), "failed": "Wrong name or token."}, 401)
    request.session.clear()
    request.session.update({"user": user.name, "tok": user.token_sha256[:16]})
    csrf_token(request.session)  # a fresh CSRF token for the new session
    return RedirectResponse(_local(next), status_code=303)


@router.post("/logout")
async def logout(request: Request, user: CurrentUser):
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/api-docs")
async def api_docs(request: Request):
    """The REST API's endpoints, from the OpenAPI description (no CDN-hosted Swagger UI)."""
    spec = request.app.openapi()
    endpoints = [{"method": method.upper(), "path": path, "summary": op.get("summary", ""),
                  "description": op.get("description", ""), "tag": (op.get("tags") or [""])[0],
                  "parameters": [p["name"] for p in op.get("parameters", [])]}
                 for path, ops in spec["paths"].items() for method, op in ops.items()]
    return render(request, "api.html", {"spec": spec, "endpoints": endpoints, "json_url": "/openapi.json"})


@router.get("/")
async def home(request: Request, user: CurrentUser, db: DbDep):
    partners = await visible_partners(db, user)
    if len(partners) == 1:
        return RedirectResponse(f"/partners/{partners[0]['partner_id']}", status_code=303)
    return RedirectResponse("/partners", status_code=303)


@router.get("/partners")
async def partners_page(request: Request, user: CurrentUser, db: DbDep, day: AsOf):
    partners = await visible_partners(db, user)
    return render(request, "partners.html", {"partners": partners, "as_of": day, "json_url": "/api/partners"})


@router.get("/partners/{partner_id}")
async def overview_page(request: Request, partner_id: CurrentPartner, db: DbDep, day: AsOf):
    response = await read_partner_scores(partner_id, db, day)
    score = ScorePublic.model_validate_json(response.body)
    return render(request, "overview.html", {
        "score": score, "as_of": day, "chart": charts.areas_chart(score),
        "json_url": f"/api/partners/{partner_id}/scores?as_of={day}"})


@router.get("/partners/{partner_id}/areas/{area}")
async def area_page(request: Request, partner_id: CurrentPartner, area: Area, db: DbDep, day: AsOf,
                    months: Annotated[int, Query(ge=TREND_MONTHS.low, le=TREND_MONTHS.high,
                                                 description="Month-ends in the trend.")] = 6):
    detail = await run_in_threadpool(views.area_detail, db, partner_id, area, day)
    name = (await known_partners(db))[partner_id].get("name")
    return render(request, "area.html", {
        "detail": detail, "name": name, "as_of": day, "trend_chart": charts.trend_chart(area, detail.min_total),
        "trend_url": f"/api/partners/{partner_id}/areas/{area}/trend?as_of={day}&months={months}", "months": months,
        "json_url": f"/api/partners/{partner_id}/areas/{area}?as_of={day}"})


@router.get("/partners/{partner_id}/areas/{area}/explain")
async def explain_page(request: Request, partner_id: CurrentPartner, area: Area, db: DbDep, day: AsOf,
                       metric: str | None = None):
    explanation = (await run_in_threadpool(db.explain, partner_id, area, day, metric)).to_json()
    suffix = f"&metric={quote(metric)}" if metric else ""
    kinds = Counter(a["status"].split(":")[0].split(" toward")[0] for a in explanation["associations"])
    return render(request, "explain.html", {
        "x": explanation, "metric": metric, "as_of": day, "limit": 100, "association_kinds": kinds.most_common(),
        "json_url": f"/api/partners/{partner_id}/areas/{area}/explain?as_of={day}{suffix}"})


@router.get("/partners/{partner_id}/whatif")
async def whatif_page(request: Request, partner_id: CurrentPartner, db: DbDep, day: AsOf,
                      end: Annotated[str | None, Query(description="Prefill: end this association.")] = None):
    response = await read_partner_scores(partner_id, db, day)
    score = ScorePublic.model_validate_json(response.body)
    changes = [{"action": "end_association", "association_id": end, "end_date": str(day)}] if end else []
    return render(request, "whatif.html", {
        "score": score, "as_of": day, "changes": changes,
        "json_url": f"/api/partners/{partner_id}/whatif"})


@router.get("/ledger")
async def ledger_page(request: Request, user: CurrentUser, db: DbDep, day: AsOf,
                      partner: str | None = None, type: str | None = None, tenant: str | None = None,
                      status: str | None = None,
                      page: Annotated[int, Query(ge=1, le=PAGE_OFFSET.high // PAGE_SIZE + 1)] = 1):
    # A filter form sends every field, empty ones as "": those (and unknown values) mean "any".
    partner, tenant = partner or None, tenant or None
    type = type if type in AssociationType.__args__ else None
    status = status if status in STATUSES else None
    check_partner_filter(user, partner)
    listing = await run_in_threadpool(views.associations, db, day, user.partners, partner=partner, type=type,
                                      tenant=tenant, status=status, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    filters = {"partner": partner, "type": type, "tenant": tenant, "status": status, "as_of": day}
    return render(request, "ledger.html", {
        "listing": listing, "filters": filters, "page": page, "page_size": PAGE_SIZE, "statuses": STATUSES,
        "types": AssociationType.__args__, "partners": await visible_partners(db, user), "as_of": day,
        "json_url": f"/api/associations?{_query_string(filters, page)}"})


def _query_string(filters: dict, page: int) -> str:
    return _query(**filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)


@router.get("/findings")
async def findings_page(request: Request, user: CurrentUser, db: DbDep, day: AsOf,
                        partner: str | None = None, severity: str | None = None):
    partner, severity = partner or None, severity if severity in ("conflict", "ineligible", "warning") else None
    check_partner_filter(user, partner)
    found = await run_in_threadpool(views.findings, db, day, user.partners, partner, severity)
    return render(request, "findings.html", {
        "found": found, "partner": partner, "severity": severity, "as_of": day,
        "partners": await visible_partners(db, user),
        "json_url": f"/api/findings?as_of={day}" + (f"&partner={partner}" if partner else "")})


async def _imports_context(db: DbDep) -> dict:
    try:
        records = await run_in_threadpool(db.imports)
    except Exception:  # no database yet: the page still offers the upload
        records = []
    return {"records": records, "json_url": "/api/imports"}


@router.get("/imports")
async def imports_page(request: Request, user: AdminUser, db: DbDep):
    return render(request, "imports.html", {**await _imports_context(db), "result": None, "failure": None})


@router.post("/imports")
async def imports_upload(request: Request, user: AdminUser, db: DbDep,
                         files: Annotated[list[UploadFile], File()], skip_bad_rows: Annotated[bool, Form()] = False):
    check_size(request)
    uploads = [(f.filename, f.file) for f in files if f.filename]
    result, failure, status = None, None, 201
    try:
        result = views.import_report(await run_in_threadpool(import_uploads, db, uploads, skip_bad_rows))
    except ImportFailed as exc:
        failure = {"import_id": exc.import_id, "bad_rows": [bad_row(b) for b in exc.bad_rows]}
        status = 422
    return render(request, "imports.html", {**await _imports_context(db), "result": result, "failure": failure},
                  status)

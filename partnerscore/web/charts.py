"""Vega-Lite specs for the pages, built by hand as plain dicts (rendered by the vendored vega-embed)."""

from __future__ import annotations

from partnerscore.web import schemas as s

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
QUALIFIED = {"domain": [True, False], "range": ["#2e7d32", "#9e9e9e"]}


def areas_chart(score: s.ScorePublic) -> dict:
    """The six areas' points as bars, with the qualifying line (70)."""
    values = [{"area": a.area, "points": a.points, "qualified": a.qualified, "track": a.track or "—"}
              for a in score.areas]
    line = score.areas[0].min_total if score.areas else 70
    return {
        "$schema": SCHEMA, "width": "container", "height": 220,
        "description": f"Points per solution area for {score.partner_id}",
        "data": {"values": values},
        "layer": [
            {"mark": {"type": "bar", "tooltip": True},
             "encoding": {"x": {"field": "area", "type": "nominal", "sort": None, "axis": {"labelAngle": 0}},
                          "y": {"field": "points", "type": "quantitative", "scale": {"domain": [0, 100]}},
                          "color": {"field": "qualified", "type": "nominal", "scale": QUALIFIED}}},
            {"mark": {"type": "rule", "strokeDash": [4, 4], "color": "#c62828"},
             "encoding": {"y": {"datum": line}}},
        ],
    }


def trend_chart(area: str, min_total: int) -> dict:
    """The area total and each metric's points at month-ends; rows arrive as named data `trend`.

    The page fetches `/api/partners/{id}/areas/{area}/trend` and inserts rows of
    `{as_of, series, points}` (series = `total` or a metric name).
    """
    return {
        "$schema": SCHEMA, "width": "container", "height": 240,
        "description": f"{area}: points at each month-end",
        "data": {"name": "trend"},
        "layer": [
            {"mark": {"type": "line", "point": True, "tooltip": True},
             "encoding": {"x": {"field": "as_of", "type": "temporal", "timeUnit": "yearmonth", "title": "month-end"},
                          "y": {"field": "points", "type": "quantitative", "scale": {"domain": [0, 100]}},
                          "color": {"field": "series", "type": "nominal"},
                          "strokeWidth": {"condition": {"test": "datum.series === 'total'", "value": 3},
                                          "value": 1.5}}},
            {"mark": {"type": "rule", "strokeDash": [4, 4], "color": "#c62828"},
             "encoding": {"y": {"datum": min_total}}},
        ],
    }


def forecast_chart(forecast: s.ForecastPublic, min_total: int) -> dict:
    """Each area's points now and at each projected month end, with the qualifying line."""
    values = [{"day": m.day.isoformat(), "area": a.area, "points": m.points, "qualified": m.qualified}
              for a in forecast.areas for m in [a.now, *a.months]]
    return {
        "$schema": SCHEMA, "width": "container", "height": 240,
        "description": f"Projected points per solution area for {forecast.partner_id}",
        "data": {"values": values},
        "layer": [
            {"mark": {"type": "line", "point": True, "tooltip": True},
             "encoding": {"x": {"field": "day", "type": "temporal", "timeUnit": "yearmonth", "title": "month-end"},
                          "y": {"field": "points", "type": "quantitative", "scale": {"domain": [0, 100]}},
                          "color": {"field": "area", "type": "nominal", "sort": None}}},
            {"mark": {"type": "rule", "strokeDash": [4, 4], "color": "#c62828"},
             "encoding": {"y": {"datum": min_total}}},
        ],
    }

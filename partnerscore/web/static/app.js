// partnerscore pages: draw the Vega-Lite charts, load the trend, run what-if scenarios. No build step.
(function () {
  "use strict";
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content;
  // Vega expressions are interpreted, not compiled with eval: the CSP forbids unsafe-eval.
  var embedOptions = { actions: false, renderer: "svg", ast: true, expr: vega.expressionInterpreter };

  function specOf(id) { return JSON.parse(document.getElementById(id).textContent); }

  function embed(el, spec) {
    return vegaEmbed(el, spec, embedOptions).then(function () { el.dataset.rendered = "true"; });
  }

  function getJson(url, options) {
    return fetch(url, Object.assign({ credentials: "same-origin", headers: { Accept: "application/json" } }, options))
      .then(function (r) {
        return r.json().then(function (body) {
          if (!r.ok) { var e = new Error(body.error ? body.error.message : r.statusText); e.body = body; throw e; }
          return body;
        });
      });
  }

  document.querySelectorAll("[data-vega-spec]").forEach(function (el) { embed(el, specOf(el.dataset.vegaSpec)); });

  var trend = document.querySelector("[data-trend-url]");
  if (trend) {
    var status = document.getElementById("trend-status");
    getJson(trend.dataset.trendUrl).then(function (doc) {
      var rows = [];
      doc.data.forEach(function (p) {
        rows.push({ as_of: p.as_of, series: "total", points: p.points });
        Object.keys(p.metrics).forEach(function (m) { rows.push({ as_of: p.as_of, series: m, points: p.metrics[m] }); });
      });
      var spec = specOf(trend.dataset.spec);
      spec.data = { values: rows };
      return embed(trend, spec).then(function () {
        status.textContent = doc.count + " month-ends; dashed line: " + doc.min_total + " points to qualify.";
      });
    }).catch(function (e) { status.textContent = "The trend could not be loaded: " + e.message; status.classList.add("error"); });
  }

  var whatif = document.getElementById("whatif");
  if (whatif) { setUpWhatIf(whatif); }

  function setUpWhatIf(root) {
    var form = document.getElementById("change-form");
    var action = document.getElementById("action");
    var box = document.getElementById("changes");
    var status = document.getElementById("whatif-status");
    var counter = 0;

    function showFields() {
      form.querySelectorAll("[data-for]").forEach(function (el) {
        el.hidden = el.dataset.for.split(" ").indexOf(action.value) < 0;
      });
    }
    action.addEventListener("change", showFields);
    showFields();

    function value(name) {
      var el = form.querySelector('[name="' + name + '"]');
      return el && el.value.trim() ? el.value.trim() : null;
    }

    function change() {
      var a = action.value, c = { action: a };
      if (a === "add_association") {
        counter += 1;
        Object.assign(c, { association_id: "WHATIF-" + counter, type: value("type"), tenant_id: value("tenant_id"),
          subscription_id: value("subscription_id"), workload: value("workload"), start_date: value("start_date") });
      } else if (a === "end_association") {
        Object.assign(c, { association_id: value("association_id"), end_date: value("end_date") });
      } else {
        Object.assign(c, { person_id: value("person_id"), certification: value("certification") });
        if (a === "add_certification") { c.earned_on = value("earned_on"); } else { c.expires_on = value("expires_on"); }
      }
      Object.keys(c).forEach(function (k) { if (c[k] === null) { delete c[k]; } });
      return c;
    }

    function scenario() {
      try { return JSON.parse(box.value || "[]"); } catch (e) { throw new Error("the scenario is not valid JSON: " + e.message); }
    }

    document.getElementById("add-change").addEventListener("click", function () {
      try { var list = scenario(); list.push(change()); box.value = JSON.stringify(list, null, 1); status.textContent = list.length + " change(s) in the scenario."; }
      catch (e) { status.textContent = e.message; }
    });

    document.getElementById("run-whatif").addEventListener("click", function () {
      var changes;
      try { changes = scenario(); } catch (e) { status.textContent = e.message; return; }
      status.textContent = "Scoring before and after…";
      status.classList.remove("error");
      getJson(root.dataset.url, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ as_of: root.dataset.asOf, changes: changes })
      }).then(showResult).catch(function (e) {
        var details = e.body && e.body.error && Array.isArray(e.body.error.details) ? " " + e.body.error.details.map(function (d) { return typeof d === "string" ? d : d.message; }).join("; ") : "";
        status.textContent = "Not run: " + e.message + details;
        status.classList.add("error");
      });
    });
  }

  function cell(row, text, cls) {
    var td = document.createElement("td");
    td.textContent = text;
    if (cls) { td.className = cls; }
    row.appendChild(td);
  }

  // Who made the difference: the first entities that entered or left the metric.
  function movers(m) {
    var parts = [];
    ["entered", "left"].forEach(function (change) {
      var list = m[change] || [];
      if (!list.length) { return; }
      var names = list.slice(0, 3).map(function (e) { return e.entity_kind + " " + e.entity; });
      parts.push(change + ": " + names.join(", ") + (list.length > 3 ? " and " + (list.length - 3) + " more" : ""));
    });
    return parts.length ? " (" + parts.join("; ") + ")" : "";
  }

  function showResult(doc) {
    var table = document.getElementById("whatif-result");
    var body = table.querySelector("tbody");
    body.textContent = "";
    var changed = 0;
    doc.areas.forEach(function (a) {
      var delta = Math.round((a.points_after - a.points_before) * 100) / 100;
      var tr = document.createElement("tr");
      tr.dataset.area = a.area;
      cell(tr, a.area);
      cell(tr, a.points_before.toFixed(2), "num");
      cell(tr, a.points_after.toFixed(2), "num");
      cell(tr, (delta > 0 ? "+" : "") + delta.toFixed(2), "num delta " + (delta > 0 ? "up" : delta < 0 ? "down" : ""));
      cell(tr, (a.qualified_before ? "yes" : "no") + " → " + (a.qualified_after ? "yes" : "no"));
      cell(tr, a.metrics.filter(function (m) { return m.delta !== 0; })
        .map(function (m) { return m.metric + " " + (m.delta > 0 ? "+" : "") + m.delta + movers(m); }).join("; "));
      if (delta !== 0) { changed += 1; }
      body.appendChild(tr);
    });
    table.hidden = false;
    var status = document.getElementById("whatif-status");
    status.textContent = changed ? changed + " area(s) change." : "No area changes.";
    status.dataset.done = "true";
  }
})();

/* Oversight dashboard charts: an enhancement only. The page's tables hold every number (the charts' text
   alternative); without this script, or without Chart.js, nothing is lost. Data come from the API
   (/api/oversight/stats/), labels from the page (translated server-side, #oversight-labels). */
(function () {
  "use strict";

  var PALETTE = ["#0b4a8b", "#b26a00", "#0b5d1e", "#8a1020", "#5b3a8c", "#00727a", "#6b6b6b", "#a34f9c", "#3d5a00"];

  function figure(name) { return document.querySelector('figure.chart[data-chart="' + name + '"]'); }

  function mount(fig, title, alt) {
    var caption = document.createElement("figcaption");
    caption.textContent = title;
    var box = document.createElement("div");
    box.className = "chart-box";
    var canvas = document.createElement("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", title + ". " + alt);
    box.appendChild(canvas);
    fig.appendChild(caption);
    fig.appendChild(box);
    return canvas;
  }

  function draw(fig, title, alt, config) {
    if (!fig) { return; }
    var canvas = mount(fig, title, alt);
    config.data.datasets.forEach(function (d) { d.maxBarThickness = 64; });
    config.options = Object.assign({
      responsive: true, maintainAspectRatio: false, animation: false,
      plugins: { legend: { position: "bottom" } },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }
    }, config.options || {});
    new window.Chart(canvas, config);
    fig.setAttribute("data-drawn", "1");
  }

  function leaders(stats, L) {
    if (!stats.leaders.length) { return; }
    draw(figure("leaders"), L.leaders_chart, L.see_table, {
      type: "bar",
      data: {
        labels: stats.leaders.map(function (r) { return r.name; }),
        datasets: [
          { label: L.held, data: stats.leaders.map(function (r) { return r.held; }), backgroundColor: PALETTE[0] },
          { label: L.required, data: stats.leaders.map(function (r) { return r.required; }), backgroundColor: "#b9b9b9" }
        ]
      }
    });
  }

  function cases(stats, L) {
    var kinds = Object.keys(stats.case_matrix);
    var states = Object.keys(stats.totals.cases.by_state).filter(function (s) { return stats.totals.cases.by_state[s] > 0; });
    if (!states.length) { return; }
    draw(figure("cases"), L.cases_chart, L.see_table, {
      type: "bar",
      data: {
        labels: kinds.map(function (k) { return L.kinds[k] || k; }),
        datasets: states.map(function (s, i) {
          return { label: L.states[s] || s, backgroundColor: PALETTE[i % PALETTE.length],
                   data: kinds.map(function (k) { return stats.case_matrix[k][s]; }) };
        })
      },
      options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } }
    });
  }

  function watch(stats, L) {
    var t = stats.totals;
    var values = { overdue: t.current.overdue, overdue_group: t.current.overdue_group, group: t.cases.group,
                   repeated: t.cases.repeated, transferred_in: t.cases.transferred_in,
                   transferred_out: t.cases.transferred_out };
    var keys = Object.keys(values);
    draw(figure("watch"), L.watch_chart, L.see_table, {
      type: "bar",
      data: {
        labels: keys.map(function (k) { return L.watch[k]; }),
        datasets: [{ label: L.watch_chart, data: keys.map(function (k) { return values[k]; }),
                     backgroundColor: keys.map(function (k) { return k.indexOf("overdue") === 0 ? PALETTE[3] : PALETTE[0]; }) }]
      },
      options: { plugins: { legend: { display: false } } }
    });
  }

  function start() {
    var holder = document.getElementById("oversight-charts");
    var labelsNode = document.getElementById("oversight-labels");
    if (!holder || !labelsNode || typeof window.Chart !== "function" || !window.fetch) { return; }
    var L = JSON.parse(labelsNode.textContent);
    fetch(holder.getAttribute("data-api"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (stats) {
        leaders(stats, L);
        cases(stats, L);
        watch(stats, L);
        document.documentElement.setAttribute("data-charts", "ready");
      })
      .catch(function () {
        var fig = figure("leaders") || figure("cases");
        if (fig) {
          var p = document.createElement("p");
          p.className = "chart-error";
          p.textContent = L.chart_failed;
          fig.appendChild(p);
        }
        document.documentElement.setAttribute("data-charts", "failed");
      });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
}());

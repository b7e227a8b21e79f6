// Charts over tables: for each <figure class="chart" data-chart="line|bar"> (templates/
// _chart.html), read the table inside it and draw it with the vendored Chart.js (window.Chart,
// loaded just before this file). The table is the only data: labels from its row headers,
// one series per further column named by its <th> (a <th data-chart-skip> is left out), each
// number from a cell's data-value, else its text. No inline script, no eval, no style
// element: it works under the admin's CSP. Without Chart.js the table simply stays open.
(function () {
  "use strict";
  var Chart = window.Chart;
  if (!Chart) { return; }
  // Told apart by dash and point shape as well as colour, so colour is never the only cue.
  var DASHES = [[], [6, 4], [2, 3], [10, 3, 2, 3], [4, 4], [1, 2]];
  var POINTS = ["circle", "rect", "triangle", "rectRot", "crossRot", "star"];
  var PALETTE = 6; // --chart-1 … --chart-6 in charts.css
  // Beyond this many labels the points crowd each other: draw the lines alone.
  var MAX_POINTS = 40;
  var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function number(cell) {
    var raw = cell.hasAttribute("data-value") ? cell.getAttribute("data-value")
      : cell.textContent.replace(/[^0-9.\-]/g, "");
    var value = parseFloat(raw);
    return isFinite(value) ? value : null;
  }

  function read(table) {
    var head = table.tHead && table.tHead.rows[0];
    if (!head || !table.tBodies.length) { return null; }
    var series = [];
    for (var c = 1; c < head.cells.length; c++) {
      if (!head.cells[c].hasAttribute("data-chart-skip")) {
        series.push({ column: c, label: head.cells[c].textContent.trim(), data: [] });
      }
    }
    var labels = [];
    Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
      labels.push(row.cells[0].textContent.trim());
      series.forEach(function (s) {
        var cell = row.cells[s.column];
        s.data.push(cell ? number(cell) : null);
      });
    });
    return { labels: labels, series: series };
  }

  function draw(figure) {
    var kind = figure.getAttribute("data-chart") === "bar" ? "bar" : "line";
    var table = figure.querySelector("table");
    var box = figure.querySelector(".chart-canvas");
    var data = table && box && read(table);
    if (!data || !data.labels.length || !data.series.length) { return; }
    var style = getComputedStyle(figure);
    var caption = figure.querySelector("figcaption");
    var canvas = document.createElement("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", (kind === "bar" ? "Bar chart: " : "Line chart: ") +
      (caption ? caption.textContent.trim() : "") + ". Its figures are in the table after it.");
    canvas.textContent = "The figures are in the table after this chart.";
    box.appendChild(canvas);
    box.hidden = false;
    Chart.defaults.font.family = style.fontFamily;
    Chart.defaults.color = style.getPropertyValue("--chart-text").trim() || "#5a6673";
    new Chart(canvas, {
      type: kind,
      data: {
        labels: data.labels,
        datasets: data.series.map(function (s, i) {
          var colour = style.getPropertyValue("--chart-" + (i % PALETTE + 1)).trim();
          return {
            label: s.label, data: s.data, borderColor: colour, backgroundColor: colour,
            borderWidth: 2, borderDash: kind === "line" ? DASHES[i % DASHES.length] : [],
            pointStyle: POINTS[i % POINTS.length],
            pointRadius: data.labels.length > MAX_POINTS ? 0 : 3, tension: 0
          };
        })
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: still ? false : undefined,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { ticks: { autoSkip: true, maxRotation: 0 }, grid: { display: false } },
          y: { beginAtZero: true, ticks: { precision: 0 } }
        },
        plugins: { legend: { position: "bottom", labels: { usePointStyle: true } } }
      }
    });
    // The chart now shows the figures; the table stays one click away, and is still what
    // a screen reader's table navigation finds once opened.
    figure.querySelector("details.chart-data").open = false;
    figure.setAttribute("data-chart-drawn", String(data.series.length));
  }

  function start() {
    document.querySelectorAll("figure.chart[data-chart]").forEach(draw);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

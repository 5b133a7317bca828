// Draws the leaders' dashboard with Apache ECharts, served from static/vendor/ (scripts/bootstrap.sh
// installs it from npm; nothing is fetched from outside). The figures and their labels, already in
// the page's language, come from the page's json_script; the tables under each chart carry the
// same figures for a reader without JavaScript.
(function () {
  "use strict";
  const source = document.getElementById("dashboard-data");
  if (!source || typeof window.echarts === "undefined") return;
  const data = JSON.parse(source.textContent);
  const lang = (data.lang || document.documentElement.lang || "zh-hans").toLowerCase();
  const zh = lang.startsWith("zh");
  const font = window.getComputedStyle(document.body).fontFamily;
  const format = new Intl.NumberFormat(zh ? "zh-CN" : "en", { maximumFractionDigits: 2 });
  const label = data.labels;
  const colours = ["#b42318", "#2f6fde", "#1f7a3d", "#b54708"];
  const charts = [];
  // A month as people read it (2026年1月), from the YYYY-MM the figures keep.
  function monthLabel(month) {
    const [year, number] = String(month).split("-");
    return zh && number ? year + "年" + Number(number) + "月" : month;
  }

  // The tooltip's text, built here rather than by ECharts: its own markers are spans with inline
  // style="…", which the Content-Security-Policy refuses (the marker would be missing). Ours carry
  // a class per series colour (app.css, .chart-marker-N); every name is escaped, as it is
  // written into the tooltip's HTML.
  function escape(text) {
    return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }
  function tooltip(params) {
    const list = Array.isArray(params) ? params : [params];
    if (!list.length) return "";
    const head = '<div class="chart-tip-head">' + escape(list[0].axisValueLabel || list[0].name || "") + "</div>";
    return head + list.map((item) =>
      '<div class="chart-tip-row"><span class="chart-marker chart-marker-' + (item.seriesIndex % colours.length) + '"></span>' +
      '<span class="chart-tip-name">' + escape(item.seriesName) + '</span><span class="chart-tip-value">' +
      escape(format.format(Number(item.value))) + "</span></div>").join("");
  }

  function draw(id, option, rows) {
    const element = document.getElementById(id);
    if (!element) return;
    if (rows) element.style.height = Math.max(220, 36 * rows + 90) + "px";
    const chart = window.echarts.init(element, null, { locale: zh ? "ZH" : "EN" });
    chart.setOption(Object.assign({
      color: colours,
      textStyle: { fontFamily: font },
      legend: { top: 0, type: "scroll" },
      grid: { left: 8, right: 16, top: 56, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", formatter: tooltip, className: "chart-tooltip" },
    }, option));
    charts.push(chart);
  }

  // Twelve months: people on the left axis, yuan on the right.
  draw("chart-trends", {
    xAxis: { type: "category", data: data.trends.map((row) => monthLabel(row.month)) },
    yAxis: [
      { type: "value", name: label.people, minInterval: 1, nameTextStyle: { align: "left" } },
      { type: "value", name: label.yuan, splitLine: { show: false }, nameTextStyle: { align: "right" },
        axisLabel: { formatter: (value) => format.format(value) } },
    ],
    series: [
      { name: label.people, type: "line", yAxisIndex: 0, data: data.trends.map((row) => row.people) },
      { name: label.premium, type: "line", yAxisIndex: 1, data: data.trends.map((row) => Number(row.premium)) },
      { name: label.paid, type: "line", yAxisIndex: 1, data: data.trends.map((row) => Number(row.paid)) },
    ],
  });

  // Child offices and plans side by side: horizontal bars, so long Chinese names stay readable.
  const narrow = window.matchMedia("(max-width: 640px)").matches;
  function bars(id, rows) {
    if (!rows.length) return;
    const names = rows.map((row) => row.name).reverse();
    draw(id, {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, formatter: tooltip, className: "chart-tooltip" },
      // On a phone the amounts under the bars would run together (5001,0001,500): fewer of them,
      // none drawn over another, and a narrower column of names.
      xAxis: {
        type: "value",
        splitNumber: narrow ? 2 : 5,
        axisLabel: { formatter: (value) => format.format(value), hideOverlap: true },
      },
      yAxis: { type: "category", data: names, axisLabel: { width: narrow ? 96 : 160, overflow: "truncate" } },
      series: [
        { name: label.premium, type: "bar", data: rows.map((row) => Number(row.premium)).reverse() },
        { name: label.paid, type: "bar", data: rows.map((row) => Number(row.paid)).reverse() },
      ],
    }, rows.length * 2);
  }
  bars("chart-children", data.children);
  bars("chart-plans", data.plans);

  window.addEventListener("resize", () => charts.forEach((chart) => chart.resize()));
})();

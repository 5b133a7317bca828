// Draws the proposals' charts with Apache ECharts (static/vendor/, installed by scripts/bootstrap.sh):
// payouts and premium per proposal, the histogram of per-claim changes, the fund projected within
// the office's band of reasonable surplus. The figures and labels come from the page's
// json_script; every figure is also in the page's tables.
// Tooltips are built here as on the dashboard: ECharts' own markers carry inline styles the
// Content-Security-Policy refuses.
(function () {
  "use strict";
  const source = document.getElementById("proposal-data");
  if (!source || typeof window.echarts === "undefined") return;
  const data = JSON.parse(source.textContent);
  const label = data.labels;
  const zh = (document.documentElement.lang || "zh-hans").toLowerCase().startsWith("zh");
  const format = new Intl.NumberFormat(zh ? "zh-CN" : "en", { maximumFractionDigits: 2 });
  const colours = ["#b42318", "#2f6fde", "#1f7a3d", "#b54708"];
  const font = window.getComputedStyle(document.body).fontFamily;
  const charts = [];
  function escape(text) {
    return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }
  function tooltip(params) {
    // The band is drawn as two stacked series (its floor, unseen, and its width): the tooltip
    // leaves the floor out and gives the band as its two ends.
    const list = (Array.isArray(params) ? params : [params]).filter((item) => !String(item.seriesId).startsWith("band-floor"));
    if (!list.length) return "";
    const head = '<div class="chart-tip-head">' + escape(list[0].axisValueLabel || list[0].name || "") + "</div>";
    return head + list.map((item) => {
      const band = item.data && item.data.band;
      const marker = band ? item.data.colour : item.seriesIndex;
      const value = band ? format.format(band[0]) + " – " + format.format(band[1]) : format.format(Number(item.value));
      return '<div class="chart-tip-row"><span class="chart-marker chart-marker-' + (marker % colours.length) + '"></span>' +
        '<span class="chart-tip-name">' + escape(item.seriesName) + '</span><span class="chart-tip-value">' +
        escape(value) + "</span></div>";
    }).join("");
  }
  function draw(id, option) {
    const element = document.getElementById(id);
    if (!element) return;
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
  const names = data.series.map((s) => s.name);
  draw("chart-payouts", {
    xAxis: { type: "category", data: names },
    yAxis: { type: "value", name: label.yuan, axisLabel: { formatter: (v) => format.format(v) } },
    series: [
      { name: label.paid_now, type: "bar", data: data.series.map((s) => s.paid_now) },
      { name: label.paid_proposed, type: "bar", data: data.series.map((s) => s.paid_proposed) },
      { name: label.premium_proposed, type: "bar", data: data.series.map((s) => s.premium_proposed) },
    ],
  });
  draw("chart-histogram", {
    // The first bin's label, turned, reaches left of the axis: room for it (containLabel misses it).
    grid: { left: 36, right: 16, top: 56, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: data.bins, axisLabel: { rotate: 30 } },
    yAxis: { type: "value", name: label.claims, minInterval: 1 },
    series: data.series.map((s) => ({ name: s.name, type: "bar", data: s.histogram })),
  });
  const years = Math.max(0, ...data.series.map((s) => s.fund.length));
  // Each proposal's band of reasonable surplus (合理结余) in yuan per year, shaded in its colour
  // behind its fund: the floor stacked unseen, the width filled above it.
  const banded = data.series.map((s, i) => ({ s, i })).filter(({ s }) => (s.band || []).some((b) => b));
  const bandName = (s) => (data.series.length > 1 ? label.band + "（" + s.name + "）" : label.band);
  const bands = banded.flatMap(({ s, i }) => [
    {
      id: "band-floor-" + i, name: bandName(s), type: "line", stack: "band-" + i, silent: true,
      symbol: "none", lineStyle: { opacity: 0 }, itemStyle: { color: colours[i % colours.length] }, data: s.band.map((b) => (b ? b[0] : null)),
    },
    {
      id: "band-width-" + i, name: bandName(s), type: "line", stack: "band-" + i, symbol: "none",
      lineStyle: { opacity: 0 }, itemStyle: { color: colours[i % colours.length] },
      areaStyle: { color: colours[i % colours.length], opacity: 0.14 },
      data: s.band.map((b) => (b ? { value: b[1] - b[0], band: b, colour: i } : null)),
    },
  ]);
  draw("chart-fund", {
    xAxis: { type: "category", data: Array.from({ length: years }, (_v, i) => label.year.replace("%(number)s", i + 1)) },
    yAxis: { type: "value", name: label.yuan, axisLabel: { formatter: (v) => format.format(v) } },
    legend: { top: 0, type: "scroll", data: [...names, ...banded.map(({ s }) => ({ name: bandName(s), icon: "roundRect" }))] },
    series: [...data.series.map((s) => ({ name: s.name, type: "line", data: s.fund, z: 3 })), ...bands],
  });
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
})();

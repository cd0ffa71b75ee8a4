// Draws the portal's Apache ECharts charts (static/vendor/echarts-5.6.0). portal.js loads ECharts and this
// file when a chart is to be drawn and calls portalCharts.draw; the options come from the server
// (competitions/charts.py) in the element's data-chart-options attribute, as plain JSON.
"use strict";

const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// ECharts' own tooltip markup colours its markers with style="" attributes, which the Content-Security-Policy
// refuses: the tooltip is written here instead, as plain markup (the legend shows the colours). Numbers are
// grouped the page's way, with the fixed decimals the server gives per series (options.portal.decimals: points
// with all three stored, as everywhere on the portal; a count or a rank with none); options.portal.suffix
// (e.g. "%") follows each value.
function tooltipFormatter(lang, suffix, decimals) {
  const number = (value, places) => {
    if (typeof value !== "number") return escapeHtml(value ?? "–");
    const fixed = typeof places === "number" ? { minimumFractionDigits: places, maximumFractionDigits: places } : {};
    return value.toLocaleString(lang, fixed);
  };
  return (params) => {
    const items = Array.isArray(params) ? params : [params];
    if (!items.length) return "";
    const rows = items.map((p) => `<div>${escapeHtml(p.seriesName)} <b>${number(p.value, decimals[p.seriesIndex])}${escapeHtml(suffix)}</b></div>`);
    return `<div>${escapeHtml(items[0].axisValueLabel ?? items[0].name)}</div>${rows.join("")}`;
  };
}

window.portalCharts = {
  draw(box, event) {
    if (box.classList.contains("drawn")) return box.portalChart;
    const area = document.createElement("div");
    area.className = "echart";
    box.appendChild(area);
    box.classList.add("drawn");
    const english = (document.documentElement.lang || "").startsWith("en");
    const chart = window.echarts.init(area, null, english ? { locale: "EN" } : undefined);
    const options = JSON.parse(box.dataset.chartOptions);
    const extra = options.portal || {};
    delete options.portal;
    if (options.tooltip) options.tooltip.formatter = tooltipFormatter(document.documentElement.lang || "zh-CN", extra.suffix || "", extra.decimals || []);
    chart.setOption(options);
    new ResizeObserver(() => chart.resize()).observe(area);
    box.portalChart = chart;
    // The touch or hover that asked for the chart shows the values where it happened; keyboard focus shows
    // the latest day's.
    if (event && typeof event.clientX === "number" && event.type !== "focus") {
      // Across: where the finger or pointer is. Down: the middle of the plot, where an axis tooltip answers
      // (the picture the touch landed on was shorter than the chart that replaces it).
      const at = area.getBoundingClientRect();
      const x = Math.min(Math.max(event.clientX - at.left, 0), at.width);
      chart.dispatchAction({ type: "showTip", x, y: at.height / 2 });
    } else if (event) {
      const days = (options.xAxis && options.xAxis.data) || [];
      chart.dispatchAction({ type: "showTip", seriesIndex: 0, dataIndex: Math.max(0, days.length - 1) });
    }
    return chart;
  },
};

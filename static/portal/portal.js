// The portal's few behaviours, bound from data- attributes: the Content-Security-Policy allows no inline
// script or on*="" handler in any page.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // <select data-autosubmit>: choosing an option submits its form (the language switch).
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.submit());
  }
  // <input type="checkbox" data-check-all="NAME">: ticks or clears every checkbox named NAME.
  for (const box of document.querySelectorAll("input[data-check-all]")) {
    box.addEventListener("change", () => {
      for (const other of document.querySelectorAll(`input[type=checkbox][name="${box.dataset.checkAll}"]`)) {
        other.checked = box.checked;
      }
    });
  }
  // <button data-confirm="question">: the form is sent only after the person confirms.
  for (const button of document.querySelectorAll("[data-confirm]")) {
    button.addEventListener("click", (event) => {
      if (!window.confirm(button.dataset.confirm)) event.preventDefault();
    });
  }
});

// <div data-refresh-seconds="N">: a background job is running; the page reloads after N seconds to show how far
// it got (the job's state is on the page itself, so a reload is all it takes).
document.addEventListener("DOMContentLoaded", () => {
  const waiting = document.querySelector("[data-refresh-seconds]");
  if (waiting) {
    const seconds = Math.max(1, Number(waiting.dataset.refreshSeconds) || 3);
    window.setTimeout(() => window.location.reload(), seconds * 1000);
  }
});

// <form data-submit-once>: the form is sent once. Its submit buttons are disabled as it is sent (long work
// starts in the background, and a second press must not start it again); the pressed button's name and
// value still go with the form, in a hidden field (a disabled button's own would not). Coming back to the
// page with the browser's back button enables them again.
document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form[data-submit-once]")) {
    form.addEventListener("submit", (event) => {
      if (form.dataset.sent) {
        event.preventDefault();
        return;
      }
      form.dataset.sent = "1";
      const pressed = event.submitter;
      if (pressed && pressed.name) {
        const carried = document.createElement("input");
        carried.type = "hidden";
        carried.name = pressed.name;
        carried.value = pressed.value;
        carried.dataset.carried = "1";
        form.append(carried);
      }
      for (const button of form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]")) {
        button.disabled = true;
      }
    });
  }
});
window.addEventListener("pageshow", (event) => {
  if (!event.persisted) return;
  for (const form of document.querySelectorAll("form[data-submit-once][data-sent]")) {
    delete form.dataset.sent;
    for (const carried of form.querySelectorAll("input[data-carried]")) carried.remove();
    for (const button of form.querySelectorAll("button, input[type=submit]")) button.disabled = false;
  }
});
// <div data-chart="now|touch" data-chart-scripts="URL …" data-chart-options="{…}">: a chart drawn by Apache
// ECharts (static/portal/charts.js) with options built on the server (competitions/charts.py), over what the
// element shows without script (an SVG, or nothing beside a table). "now" draws at once (the staff
// dashboard); "touch" waits for the first touch, hover or keyboard focus, then draws and shows the values
// there: the library (660 KB) is not fetched for a phone that only looks at the picture.
document.addEventListener("DOMContentLoaded", () => {
  const boxes = document.querySelectorAll("[data-chart]");
  if (!boxes.length) return;
  const loading = {};
  const load = (src) => (loading[src] ||= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = src;
    script.addEventListener("load", resolve);
    script.addEventListener("error", reject);
    document.head.appendChild(script);
  }));
  const loadAll = (sources) => sources.reduce((ready, src) => ready.then(() => load(src)), Promise.resolve());
  for (const box of boxes) {
    if (!box.dataset.chartOptions) continue;
    const draw = (event) => loadAll(box.dataset.chartScripts.split(" ").filter(Boolean))
      .then(() => window.portalCharts.draw(box, event));
    if (box.dataset.chart === "now") {
      draw(null);
      continue;
    }
    const triggers = ["pointerdown", "pointerenter", "focus"];
    const first = (event) => {
      for (const name of triggers) box.removeEventListener(name, first);
      draw(event);
    };
    for (const name of triggers) box.addEventListener(name, first);
    for (const hint of document.querySelectorAll("[data-chart-hint]")) hint.hidden = false;
  }
});

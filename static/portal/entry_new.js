// The single-entry form (reviews/entry_new.html): the worker's name, unit and job type appear as the 工号 is
// typed, and the metric list keeps only that job type's metrics. The server checks everything again on save
// and the page works without this script (its 查找 button asks the server instead).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-lookup-url]");
  if (!form) return;
  const input = form.querySelector("#worker");
  const info = form.querySelector("#worker-info");
  const select = form.querySelector("#rule");
  const options = Array.from(select.options);
  let asked = "";
  let timer = null;

  function narrow(ruleIds) {
    const keep = ruleIds === null ? null : new Set(ruleIds.map(String));
    for (const option of options) {
      const shown = keep === null || keep.has(option.value);
      option.hidden = !shown;
      option.disabled = !shown;
    }
    const selected = select.options[select.selectedIndex];
    if (!selected || selected.disabled) {
      const first = options.find((option) => !option.disabled);
      select.value = first ? first.value : "";
    }
  }

  async function lookUp() {
    const employeeNo = input.value.trim();
    if (employeeNo === asked) return;
    asked = employeeNo;
    if (!employeeNo) {
      info.textContent = "";
      narrow(null);
      return;
    }
    const url = `${form.dataset.lookupUrl}?employee_no=${encodeURIComponent(employeeNo)}`;
    let response;
    try {
      response = await fetch(url, {headers: {Accept: "application/json"}, credentials: "same-origin"});
    } catch {
      return; // offline: the server still checks on save
    }
    if (employeeNo !== asked) return; // typed on meanwhile
    const body = await response.json().catch(() => ({}));
    if (response.ok) {
      const parts = [body.name, body.unit, body.job_type];
      if (!body.is_active) parts.push(form.dataset.inactive || "");
      info.textContent = parts.filter(Boolean).join(" · ");
      info.classList.remove("errors");
      narrow(body.rules);
    } else {
      info.textContent = (body.error && body.error.message) || "";
      info.classList.add("errors");
      narrow(null);
    }
  }

  input.addEventListener("input", () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(lookUp, 300);
  });
  input.addEventListener("change", lookUp);
  if (input.value.trim()) lookUp();
});

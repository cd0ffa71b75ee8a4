// The standings workspace's behaviours, bound from data- attributes (the Content-Security-Policy allows no
// inline script): a printable page's print button, and a progress block that polls its status URL.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // <button data-print>: opens the browser's print dialog.
  for (const button of document.querySelectorAll("[data-print]")) {
    button.addEventListener("click", () => window.print());
  }
  // <div data-poll="URL">: asks URL (JSON: done, total, text, finished) every second and a half, moves the
  // <progress> and the [data-poll-text] inside it, and reloads the page once the work has finished.
  for (const block of document.querySelectorAll("[data-poll]")) {
    const bar = block.querySelector("progress");
    const text = block.querySelector("[data-poll-text]");
    const tick = async () => {
      try {
        const response = await fetch(block.dataset.poll, {headers: {Accept: "application/json"}});
        if (response.ok) {
          const state = await response.json();
          if (state.finished) {
            window.location.reload();
            return;
          }
          if (bar && state.total) {
            bar.max = state.total;
            bar.value = state.done;
          }
          if (text && state.text) text.textContent = state.text;
        }
      } catch (error) {
        // A dropped connection: try again at the next tick.
      }
      window.setTimeout(tick, 1500);
    };
    window.setTimeout(tick, 1500);
  }
});

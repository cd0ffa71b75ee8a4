/* The admin's unit tree: opening a unit (a <details>) reads its children, one level, once; "更多…" reads the
   next page of a long level in place. Without this script every link still leads to a page of its own. */
(function () {
  "use strict";

  function load(url, done, failed) {
    fetch(url, {credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        var holder = document.createElement("template");
        holder.innerHTML = html.trim();
        done(holder.content.querySelector("ul.unit-tree"));
      })
      .catch(failed);
  }

  // "toggle" does not bubble: listened for while it is captured on its way down.
  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (!(details instanceof HTMLDetailsElement) || !details.open || !details.dataset.children ||
        details.dataset.loaded) {
      return;
    }
    details.dataset.loaded = "1";
    load(details.dataset.children, function (list) {
      details.querySelector(":scope > .unit-children").replaceChildren(list);
    }, function () { delete details.dataset.loaded; });
  }, true);

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("#unit-tree a[data-more]");
    if (!link) {
      return;
    }
    event.preventDefault();
    var item = link.closest("li");
    load(link.href + "&partial=1", function (list) {
      item.replaceWith.apply(item, Array.prototype.slice.call(list.children));
    }, function () { window.location.href = link.href; });
  });
})();

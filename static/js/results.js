// Live results: while a survey is open, fetch the page again every 30
// seconds and swap in the new figures. Without JavaScript, reloading the
// page does the same. A button pauses the updates (WCAG 2.2.2); focus and
// the filter form are left alone.
(function () {
  "use strict";
  var live = document.getElementById("results-live");
  if (!live || live.getAttribute("data-live") !== "true" || !window.fetch || !window.DOMParser) {
    return;
  }
  var paused = false;
  var controls = document.getElementById("live-controls");
  var toggle = document.getElementById("live-toggle");
  if (controls && toggle) {
    controls.hidden = false;
    toggle.addEventListener("click", function () {
      paused = !paused;
      toggle.setAttribute("aria-pressed", paused ? "true" : "false");
      toggle.textContent = toggle.getAttribute(paused ? "data-resume" : "data-pause");
    });
  }
  function refresh() {
    if (paused || document.hidden) {
      return;
    }
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html || paused) {
          return;
        }
        var doc = new DOMParser().parseFromString(html, "text/html");
        ["results-live", "results"].forEach(function (id) {
          var fresh = doc.getElementById(id), old = document.getElementById(id);
          if (fresh && old && !old.contains(document.activeElement)) {
            old.replaceWith(fresh);
          }
        });
      })
      .catch(function () {});
  }
  window.setInterval(refresh, 30000);
})();

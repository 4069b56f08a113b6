// Live results: while a survey is open, fetch the page again every 30
// seconds and swap in the new figures. Without JavaScript, reloading the
// page does the same. Focus and the filter form are left alone.
(function () {
  "use strict";
  var live = document.getElementById("results-live");
  if (!live || live.getAttribute("data-live") !== "true" || !window.fetch || !window.DOMParser) {
    return;
  }
  function refresh() {
    if (document.hidden) {
      return;
    }
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) {
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

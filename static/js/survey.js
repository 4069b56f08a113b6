// Shows and hides questions whose condition is on the same page, as soon
// as the answer changes. Without this script the page still works: such
// questions stay visible with a hint, and the server ignores their answers
// when the condition is not met.
(function () {
  "use strict";
  var form = document.querySelector(".survey-form");
  if (!form) { return; }
  var conditional = form.querySelectorAll("[data-show-if]");
  function inputs(key) {
    return form.querySelectorAll('[name="q.' + key + '"]');
  }
  function chosen(key) {
    var out = [];
    inputs(key).forEach(function (el) {
      if ((el.type === "radio" || el.type === "checkbox") ? el.checked : el.value) { out.push(el.value); }
    });
    return out;
  }
  function update() {
    conditional.forEach(function (el) {
      var source = el.getAttribute("data-show-if");
      if (inputs(source).length === 0) { return; } // not on this page: the server decided
      var want = el.getAttribute("data-any-of").split(" ");
      var show = chosen(source).some(function (v) { return want.indexOf(v) >= 0; });
      el.hidden = !show;
      var hint = el.querySelector(".condition-hint");
      if (hint) { hint.hidden = true; }
    });
  }
  form.addEventListener("change", update);
  update();
})();

// Reporting pages. The CSP allows no inline script, so markup opts in with data attributes.
(function () {
  "use strict";

  // <form data-dirty-guard="Question?">: ask before leaving the page with changes not saved.
  var dirty = false;
  document.addEventListener("input", function (event) {
    var form = event.target.form;
    if (form && form.hasAttribute("data-dirty-guard")) {
      dirty = true;
    }
  });
  document.addEventListener("submit", function () {
    dirty = false;
  });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();

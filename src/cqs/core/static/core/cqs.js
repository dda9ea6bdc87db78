// CQS page behaviour. The CSP allows no inline script, so markup opts in with data attributes.
(function () {
  "use strict";

  // <select data-autosubmit> (or any form control) submits its form when it changes.
  document.addEventListener("change", function (event) {
    var control = event.target;
    if (control.form && control.hasAttribute("data-autosubmit")) {
      control.form.requestSubmit();
    }
  });

  // <form data-confirm="Question?"> asks before submitting.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
})();

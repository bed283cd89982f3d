// Small enhancements; every page works without this file.
(function () {
  "use strict";
  // On phones, fold the filter panel unless filters are in use, so the results come first.
  var phone = window.matchMedia("(max-width: 899px)");
  document.querySelectorAll("details[data-fold-on-phone='true']").forEach(function (details) {
    if (phone.matches) details.open = false;
  });

  // Checkout: show the address fields only for shipping and the invoice fields only for invoice.
  // Without JavaScript every field is shown and the server ignores the ones that do not apply.
  var sections = document.querySelectorAll("[data-show-when]");
  function update() {
    sections.forEach(function (section) {
      var rule = section.getAttribute("data-show-when").split("=");
      var checked = document.querySelector("input[name='" + rule[0] + "']:checked");
      section.hidden = !checked || checked.value !== rule[1];
    });
  }
  if (sections.length) {
    document.addEventListener("change", function (event) {
      if (event.target.matches("input[type=radio]")) update();
    });
    update();
  }
})();

// After a failed submit, move focus to the error summary so screen readers read it first.
(function () {
  "use strict";
  var summary = document.querySelector(".error-summary");
  if (summary) summary.focus();
})();

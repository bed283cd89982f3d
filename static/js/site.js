// Small enhancements; every page works without this file.
(function () {
  "use strict";
  // On phones, fold the filter panel unless filters are in use, so the results come first.
  var phone = window.matchMedia("(max-width: 899px)");
  document.querySelectorAll("details[data-fold-on-phone='true']").forEach(function (details) {
    if (phone.matches) details.open = false;
  });
})();

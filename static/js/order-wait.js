// While a card payment is being confirmed, ask the server every 2 s and reload once it is done.
// (A polling script instead of <meta http-equiv="refresh">, which would move screen readers to the top.)
(function () {
  "use strict";
  var box = document.getElementById("payment-wait");
  if (!box) return;
  var tries = 0;
  function check() {
    tries += 1;
    fetch(box.dataset.statusUrl, { headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (state) {
        if (state.paid || state.status !== "pending_payment") {
          window.location.replace(window.location.pathname + "?betalt=1"); // the page then thanks for the payment
        } else if (tries < 30) {
          window.setTimeout(check, 2000);
        }
      })
      .catch(function () { if (tries < 30) window.setTimeout(check, 2000); });
  }
  window.setTimeout(check, 1500);
})();

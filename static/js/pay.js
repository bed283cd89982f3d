// Card payment on our own page with Stripe.js: tokenise the card in the browser, let the server
// attach and confirm it, finish 3-D Secure in the browser if asked. The webhook marks the order paid.
(function () {
  "use strict";
  var form = document.getElementById("card-form");
  if (!form || typeof window.Stripe !== "function") return;
  var text = form.dataset;
  // Stripe.js writes its own messages in the page's language; the offline stand-in only in English.
  var stripe = window.Stripe(text.publishableKey, { locale: text.locale });
  var card = stripe.elements().create("card", { hidePostalCode: true });
  card.mount("#card-element");
  // Stripe's own card field is an accessible iframe; the offline test double draws bare inputs, so label them.
  var labels = { number: text.labelNumber, exp_month: text.labelMonth, exp_year: text.labelYear, cvc: text.labelCvc, postal_code: text.labelPostcode };
  var placeholders = { number: text.placeholderNumber, exp_month: text.placeholderMonth, exp_year: text.placeholderYear, cvc: "CVC" };
  document.querySelectorAll("#card-element input[placeholder]").forEach(function (input) {
    var name = input.getAttribute("placeholder");
    if (labels[name]) input.setAttribute("aria-label", labels[name]);
    if (placeholders[name]) input.setAttribute("placeholder", placeholders[name]);
    input.classList.add("card-input", "card-input--" + name);
    if (name === "postal_code") input.hidden = true; // not asked for in Norway
    if (input.previousSibling && input.previousSibling.nodeName === "SPAN") input.previousSibling.hidden = true;
    input.setAttribute("inputmode", "numeric");
    input.setAttribute("autocomplete", { number: "cc-number", exp_month: "cc-exp-month", exp_year: "cc-exp-year", cvc: "cc-csc", postal_code: "postal-code" }[name] || "off");
    // People type card numbers in groups of four; the stand-in takes digits only and moves on after
    // 16 characters, so drop everything else as it is typed, before the stand-in's own handler runs.
    if (name === "number") {
      document.getElementById("card-element").addEventListener("input", function (event) {
        if (event.target === input && /\D/.test(input.value)) input.value = input.value.replace(/\D/g, "");
      }, true);
    }
  });
  var button = document.getElementById("card-submit");
  var errors = document.getElementById("card-errors");
  var status = document.getElementById("card-status");

  function fail(message) {
    errors.textContent = message || text.msgError;
    errors.hidden = false;
    status.textContent = "";
    button.disabled = false;
    errors.focus(); // keyboard and screen-reader users land on what went wrong
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    errors.hidden = true;
    button.disabled = true;
    status.textContent = text.msgPaying;
    var tokenising = true;
    try {
      var tokenised = await stripe.createToken(card);
      tokenising = false;
      if (tokenised.error) return fail(text.demo ? text.msgCard : tokenised.error.message);
      var body = new FormData(form);
      body.append("payment_method", tokenised.token.card.id);
      var response = await fetch(form.action, { method: "POST", body: body, headers: { Accept: "application/json" } });
      var answer = await response.json().catch(function () { return { message: text.msgError }; });
      if (answer.status === "requires_action") {
        var confirmed = await stripe.confirmCardPayment(answer.client_secret);
        if (confirmed.error) return fail(confirmed.error.message);
      }
      if (["succeeded", "processing", "requires_action", "requires_capture"].indexOf(answer.status) >= 0 || answer.status === "closed") {
        window.location.assign(answer.next);
        return;
      }
      fail(answer.message);
    } catch (error) {
      fail(tokenising ? text.msgCard : text.msgError); // the card details could not be read, or the payment failed
    }
  });
})();

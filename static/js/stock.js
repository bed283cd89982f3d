// The stock page, quicker on a phone: +/- buttons, typed values kept across a reload, and each row
// saved as soon as it changes (the same POST as the form, answered in JSON). Without this script
// the page is one plain form that saves every changed row at once.
(function () {
  "use strict";
  var form = document.getElementById("stock-form");
  if (!form || !window.fetch || !window.FormData) { return; }
  var storeKey = "stock:" + location.pathname;
  var csrf = form.querySelector("input[name=csrf_token]").value;

  function saved() {
    try { return JSON.parse(sessionStorage.getItem(storeKey) || "{}"); } catch (e) { return {}; }
  }
  function remember(input) {
    var values = saved();
    if (input.value) { values[input.id] = input.value; } else { delete values[input.id]; }
    try { sessionStorage.setItem(storeKey, JSON.stringify(values)); } catch (e) { /* private mode: nothing kept */ }
  }
  function forget(row) {
    var values = saved();
    row.querySelectorAll("input[type=text], select").forEach(function (input) { delete values[input.id]; });
    try { sessionStorage.setItem(storeKey, JSON.stringify(values)); } catch (e) { /* nothing kept */ }
  }

  // Put back what was typed before a reload (unless the server sent the page back with the entry).
  var values = saved();
  Object.keys(values).forEach(function (id) {
    var input = document.getElementById(id);
    if (input && !input.value) { input.value = values[id]; }
  });

  form.querySelectorAll(".stepper button").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var input = document.getElementById(button.getAttribute("aria-controls"));
      var now = parseInt((input.value || "0").replace("\u2212", "-"), 10) || 0;
      var next = now + parseInt(button.dataset.step, 10);
      input.value = next === 0 ? "" : (next > 0 ? "+" + next : String(next));
      remember(input);
      scheduleSave(input.closest(".stock-row"));
    });
  });

  var timers = {};
  var inflight = 0;
  var submitting = false;
  function scheduleSave(row) {
    if (submitting) { return; }
    var id = row.dataset.record;
    clearTimeout(timers[id]);
    timers[id] = setTimeout(function () { saveRow(row); }, 900);
  }

  function saveRow(row) {
    var id = row.dataset.record;
    var count = document.getElementById("count-" + id).value.trim();
    var delta = document.getElementById("delta-" + id).value.trim();
    var reason = document.getElementById("reason-" + id).value;
    if (!count && !delta) { return; }
    if (delta && !count && !reason) { return; }  // waits for the reason
    var data = new FormData();
    data.append("csrf_token", csrf);
    data.append("loaded_at", form.dataset.loadedAt);
    data.append("row", id);
    ["shown-", "packed-", "count-", "delta-", "reason-"].forEach(function (name) {
      var field = form.elements[name + id];
      data.append(name + id, field ? field.value : "");
    });
    var status = row.querySelector(".stock-row__status");
    status.textContent = form.dataset.msgSaving || "…";
    inflight += 1;
    fetch(form.getAttribute("action"), { method: "POST", body: data, headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.json().then(function (body) { return [response, body]; }); })
      .then(function (result) {
        var body = result[1];
        if (body.saved && Object.prototype.hasOwnProperty.call(body.saved, id)) {
          var onHand = body.saved[id];
          if (onHand !== null) { form.elements["shown-" + id].value = onHand; }
          ["count-", "delta-"].forEach(function (name) { document.getElementById(name + id).value = ""; });
          document.getElementById("reason-" + id).value = "";
          forget(row);
          row.classList.remove("has-problem");
          status.textContent = form.dataset.msgSaved;
        } else if (body.conflicts && body.conflicts[id]) {
          row.classList.add("has-problem");
          status.textContent = form.dataset.msgConflict.replace("{shown}", body.conflicts[id].shown).replace("{now}", body.conflicts[id].now);
        } else if (body.errors && body.errors[id]) {
          row.classList.add("has-problem");
          status.textContent = body.errors[id];
        }
      })
      .catch(function () { status.textContent = form.dataset.msgOffline; })
      .then(function () {
        inflight -= 1;
        if (inflight === 0 && form.dataset.waitingSubmit) { submitNow(); }
      });
  }

  // A row saving in the background when the form is sent would be saved twice (and the second time
  // seen as a conflict): the form waits for those saves, then goes with what is left.
  var submitter = null;
  function submitNow() {
    delete form.dataset.waitingSubmit;
    submitting = true;
    if (form.requestSubmit) { form.requestSubmit(submitter); } else { form.submit(); }
  }

  form.addEventListener("input", function (event) {
    var input = event.target;
    if (input.matches("input[type=text], select")) { remember(input); }
  });
  form.addEventListener("change", function (event) {
    var row = event.target.closest(".stock-row");
    if (row) { scheduleSave(row); }
  });
  form.addEventListener("submit", function (event) {
    Object.keys(timers).forEach(function (id) { clearTimeout(timers[id]); });
    if (inflight > 0 && !submitting) {
      event.preventDefault();
      submitter = event.submitter || null;
      form.dataset.waitingSubmit = "1";
      return;
    }
    submitting = true;
    try { sessionStorage.removeItem(storeKey); } catch (e) { /* nothing kept */ }
  });
}());

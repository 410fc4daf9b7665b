// The job page's progress bar: asks the server how far the job is, twice a second, and
// reloads the page once the job stops running (to show its preview, outcome or errors).
(function () {
  "use strict";
  var box = document.getElementById("job-progress");
  if (!box) { return; }
  var bar = document.getElementById("job-bar");
  var phase = document.getElementById("job-phase");
  var rows = document.getElementById("job-rows");
  var badge = document.querySelector("[data-testid=job-status]");
  var cancel = document.getElementById("job-cancel");
  var number = new Intl.NumberFormat();

  function show(state) {
    if (state.status !== "queued" && state.status !== "running") {
      window.location.reload();
      return false;
    }
    if (state.status === "running") {
      badge.textContent = "running";
      badge.className = "badge badge-primary";
      if (cancel) { cancel.remove(); cancel = null; }  // a running job is not interrupted
      var hint = document.getElementById("job-waiting-hint");
      if (hint) { hint.remove(); }
    }
    bar.style.width = state.percent + "%";
    bar.setAttribute("aria-valuenow", state.percent);
    bar.textContent = state.percent + "%";
    phase.textContent = state.phase_text;
    if (state.rows_done) {
      rows.textContent = number.format(state.rows_done) + (state.rows_done === 1 ? " row" : " rows") +
        (state.rows_total ? (state.total_is_exact ? " of " : " of about ") +
          number.format(state.rows_total) : "");
    }
    return true;
  }

  function poll() {
    fetch(box.dataset.url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) {
        if (!state || show(state)) { window.setTimeout(poll, 500); }
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  poll();
}());

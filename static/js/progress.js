// Polls status.json while a version is processed; keeps going through failed requests.
// The counts table belongs to the version the pages show, so it is refreshed by the reload only.
(function () {
  "use strict";
  var box = document.getElementById("progress");
  if (!box) return;
  // The width is set here, not in a style attribute, which the Content-Security-Policy forbids.
  var initialBar = document.getElementById("progress-bar");
  initialBar.style.width = initialBar.dataset.percent + "%";
  var url = box.dataset.statusUrl;
  var finished = ["done", "failed"];
  if (finished.indexOf(box.dataset.status) !== -1) return;
  var delay = 1000;
  var failures = 0;

  function text(id, value) {
    var node = document.getElementById(id);
    if (node) node.textContent = value;
  }

  function render(data) {
    var bar = document.getElementById("progress-bar");
    bar.style.width = data.percent + "%";
    bar.parentElement.setAttribute("aria-valuenow", data.percent);
    text("percent-text", data.percent);
    text("stage-text", data.stage);
    var status = document.getElementById("status-text");
    status.textContent = data.status;
    status.className = "badge status-" + data.status;
    var error = document.getElementById("error-text");
    if (data.error) { error.textContent = data.error; error.hidden = false; }
    var note = document.getElementById("job-note");
    if (note) { note.textContent = data.note || ""; note.hidden = !data.note; }
    var broker = document.getElementById("broker-note");
    if (broker) broker.hidden = !data.waiting_for_broker;
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        failures = 0;
        text("connection-text", "");
        render(data);
        if (finished.indexOf(data.status) !== -1) {
          // Reload once to show the reports and the final counts rendered by the server.
          window.setTimeout(function () { window.location.reload(); }, 300);
          return;
        }
        window.setTimeout(poll, delay);
      })
      .catch(function () {
        failures += 1;
        text("connection-text", "(connection lost, retrying…)");
        window.setTimeout(poll, Math.min(10000, delay * Math.pow(2, failures)));
      });
  }
  window.setTimeout(poll, 500);
})();

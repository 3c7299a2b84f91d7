// Follows versions that are not finished: the progress box of a dataset page (its latest version),
// and the rows of the datasets list. Polls each one's status.json, keeps going through failed
// requests, and reloads the page once a version is final so the server renders its counts and
// reports (the counts table belongs to the version the pages show: refreshed by the reload only).
(function () {
  "use strict";
  var FINAL = ["done", "failed"];

  function follow(box, render) {
    var url = box.dataset.statusUrl;
    var failures = 0;
    function poll() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
        .then(function (response) {
          if (response.status === 404) return null; // deleted meanwhile
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        })
        .then(function (data) {
          failures = 0;
          if (data === null) { window.location.reload(); return; }
          render(box, data, "");
          if (FINAL.indexOf(data.status) !== -1) {
            window.setTimeout(function () { window.location.reload(); }, 300);
            return;
          }
          window.setTimeout(poll, 1000);
        })
        .catch(function () {
          failures += 1;
          render(box, null, "(connection lost, retrying…)");
          window.setTimeout(poll, Math.min(10000, 1000 * Math.pow(2, failures)));
        });
    }
    window.setTimeout(poll, 500);
  }

  function setText(root, selector, value) {
    var node = root.querySelector(selector);
    if (node) node.textContent = value;
  }

  function badge(node, data) {
    if (!node) return;
    node.textContent = data.status_label;
    node.className = "badge status-" + data.status;
  }

  function renderPage(box, data, connection) {
    setText(box, "#connection-text", connection);
    if (!data) return;
    var bar = box.querySelector("#progress-bar");
    if (bar) { bar.value = data.percent; bar.textContent = data.percent + "%"; }
    setText(box, "#percent-text", data.percent);
    setText(box, "#detail-text", data.detail);
    badge(box.querySelector("#status-text"), data);
    var error = box.querySelector("#error-text");
    if (error && data.error) { error.textContent = data.error; error.hidden = false; }
    var note = box.querySelector("#job-note");
    if (note) { note.textContent = data.note || ""; note.hidden = !data.note; }
    var broker = box.querySelector("#broker-note");
    if (broker) broker.hidden = !data.waiting_for_broker;
  }

  function renderRow(row, data, connection) {
    setText(row, ".row-connection", connection);
    if (!data) return;
    badge(row.querySelector(".badge"), data);
    setText(row, ".row-detail", data.detail + (data.final ? "" : " (" + data.percent + "%)"));
  }

  var box = document.getElementById("progress");
  if (box && FINAL.indexOf(box.dataset.status) === -1 && box.dataset.status !== "deleting") {
    follow(box, renderPage);
  }
  Array.prototype.forEach.call(document.querySelectorAll("tr[data-status-url]"), function (row) {
    if (FINAL.indexOf(row.dataset.status) === -1) follow(row, renderRow);
  });
})();

// Checks each chosen file of an upload form before anything is sent, against the rules the server
// applies: uploads/forms.py renders them, with their messages, into the inputs' data-* attributes.
// A wrong file is reported next to its field and the submit is stopped, so the browser keeps the
// files chosen in the other fields (a page that comes back from the server has forgotten them all).
// The server checks again: this is a convenience, not a guard.
(function () {
  "use strict";
  var MIB = 1048576;

  function fill(template, file) {
    // one pass, so a file name holding "{size}" is not filled in twice
    return template.replace(/\{(name|size)\}/g, function (_, key) {
      return key === "name" ? file.name : (file.size / MIB).toFixed(1);
    });
  }

  // The server's order: Django's empty-file check, then the name's length, the size, the suffix.
  function problem(input) {
    var file = input.files && input.files[0];
    if (!file) return "";
    var rules = input.dataset;
    var lower = file.name.toLowerCase();
    if (file.size === 0) return fill(rules.messageEmpty, file);
    if (Array.from(file.name).length > Number(rules.nameMax)) return fill(rules.messageName, file);
    if (file.size > Number(rules.maxBytes)) return fill(rules.messageSize, file);
    var suffixes = rules.suffixes.split(" ");
    if (!suffixes.some(function (suffix) { return lower.endsWith(suffix); })) return fill(rules.messageSuffix, file);
    return "";
  }

  function describedBy(input, id, present) {
    var ids = (input.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (token) {
      return token && token !== id;
    });
    if (present) ids.push(id);
    if (ids.length) input.setAttribute("aria-describedby", ids.join(" "));
    else input.removeAttribute("aria-describedby");
  }

  // The field's error element, which the server's message also uses; a new choice replaces that message.
  function show(input, message) {
    var box = document.getElementById(input.id + "_error");
    if (!box) return;
    box.textContent = message;
    box.hidden = !message;
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
    describedBy(input, box.id, Boolean(message));
    // "choose it again", under a field of a page that came back, holds until a file is chosen
    var again = document.getElementById(input.id + "_again");
    if (again) {
      again.hidden = input.files.length > 0;
      describedBy(input, again.id, !again.hidden);
    }
  }

  Array.prototype.forEach.call(document.querySelectorAll("form"), function (form) {
    var inputs = Array.prototype.slice.call(form.querySelectorAll('input[type="file"][data-max-bytes]'));
    if (!inputs.length) return;
    inputs.forEach(function (input) {
      input.addEventListener("change", function () { show(input, problem(input)); });
    });
    form.addEventListener("submit", function (event) {
      var first = null;
      inputs.forEach(function (input) {
        var message = problem(input);
        show(input, message);
        if (message && !first) first = input;
      });
      if (first) {
        event.preventDefault();
        first.focus();
      }
    });
  });
})();

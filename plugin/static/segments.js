// The segment editor's live audience: as the owner edits, ask the count endpoint (debounced)
// and show the answer; the "Count" button does the same without script.
(function () {
  "use strict";
  var form = document.getElementById("segment-form");
  var box = document.getElementById("audience");
  if (!form || !box) { return; }
  var url = form.getAttribute("data-count-url");
  var WAIT_MS = 300; // after the last keystroke, so typing "120" asks once, not thrice
  var timer = null;
  var asked = 0;

  function text(tag, words, attrs) {
    var node = document.createElement(tag);
    node.textContent = words;
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }

  function showErrors(errors) {
    form.querySelectorAll("[data-error-for]").forEach(function (line) {
      var name = line.getAttribute("data-error-for");
      if (name === "name") { return; }
      var message = errors[name] || "";
      line.textContent = message;
      line.hidden = !message;
      var field = form.querySelector("[name='" + name + "']");
      if (field) {
        if (message) { field.setAttribute("aria-invalid", "true"); }
        else { field.removeAttribute("aria-invalid"); }
      }
    });
  }

  function render(data) {
    box.replaceChildren();
    var big = text("p", "", { "class": "audience-number" });
    big.appendChild(text("span", String(data.reachable), { id: "reachable" }));
    box.appendChild(big);
    var line = text("p", "can get marketing messages, of ");
    line.appendChild(text("strong", String(data.matched), { id: "matched" }));
    line.appendChild(document.createTextNode(" matched."));
    box.appendChild(line);
    box.appendChild(text("h3", "Left out, and why"));
    var list = text("dl", "", { id: "left-out" });
    data.left_out.forEach(function (item) {
      list.appendChild(text("dt", item.label));
      list.appendChild(text("dd", String(item.count), { "data-reason": item.reason }));
    });
    box.appendChild(list);
  }

  function ask() {
    var params = new URLSearchParams(new FormData(form));
    params.delete("csrf_token");
    params.delete("name");
    var mine = ++asked;
    box.setAttribute("aria-busy", "true");
    fetch(url + "?" + params.toString(), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json().then(function (data) { return [response.status, data]; }); })
      .then(function (answer) {
        if (mine !== asked) { return; } // an older answer arriving late
        box.removeAttribute("aria-busy");
        if (answer[0] !== 200) { return; }
        if (answer[1].errors) { showErrors(answer[1].errors); }
        else { showErrors({}); render(answer[1]); }
      })
      .catch(function () { box.removeAttribute("aria-busy"); });
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(ask, WAIT_MS);
  }

  form.addEventListener("input", later);
  form.addEventListener("change", later);
  // The owner typed before this deferred script ran, or the browser restored the form.
  if (window.StoreChat.formEdited(form)) { ask(); }
})();

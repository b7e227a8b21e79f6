// Campaigns: the editor shows one variable row per {{n}} of the chosen template (and the
// header file for a template with a media header), and a campaign's page follows its
// progress (counts from the progress URL) while it runs.
(function () {
  "use strict";
  var template = document.getElementById("template");
  if (template) {
    var show = function () {
      var option = template.options[template.selectedIndex];
      var count = option ? parseInt(option.getAttribute("data-variables") || "0", 10) : 0;
      document.querySelectorAll(".variable").forEach(function (row) {
        row.hidden = parseInt(row.getAttribute("data-index"), 10) > count;
      });
      var text = document.getElementById("template-text");
      if (text) { text.textContent = option ? option.getAttribute("data-text") || "" : ""; }
      // The header file is asked for only by a template with a media header (kept shown
      // when it carries an error, so the owner reads it).
      var media = document.getElementById("header-media");
      if (media && !media.querySelector(".field-error:not([hidden])")) {
        media.hidden = !(option && option.getAttribute("data-header"));
      }
    };
    template.addEventListener("change", show);
    show();
    // A row shows the field list only for a customer field, and no text for the code.
    document.querySelectorAll(".variable").forEach(function (row) {
      var i = row.getAttribute("data-index");
      var source = document.getElementById("var" + i + "_source");
      var sync = function () {
        document.getElementById("var" + i + "_field").hidden = source.value !== "field";
        document.getElementById("var" + i + "_text").hidden = source.value === "discount";
      };
      source.addEventListener("change", sync);
      sync();
    });
  }
  var panel = document.getElementById("progress-panel");
  if (!panel) { return; }
  var running = ["scheduled", "preparing", "sending"];
  var state = panel.getAttribute("data-state");
  if (running.indexOf(state) < 0) { return; }
  var poll = function () {
    fetch(panel.getAttribute("data-progress-url"), {credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        document.getElementById("campaign-progress").value = data.percent;
        panel.querySelectorAll("[data-count]").forEach(function (node) {
          node.textContent = data[node.getAttribute("data-count")];
        });
        var badge = document.getElementById("campaign-state");
        if (badge) { badge.textContent = data.state; badge.className = "state state-" + data.state; }
        if (running.indexOf(data.state) >= 0) { setTimeout(poll, 1500); }
        else if (data.state !== state) { window.location.reload(); }
      })
      .catch(function () { setTimeout(poll, 5000); });
  };
  setTimeout(poll, 1000);
})();

// The catalog page: while a sync runs, ask the API for its progress now and then and update
// the counts in place; once it is over, reload so the items and batches show its outcome.
// Polite: it waits longer each time nothing changed, and not at all while the tab is hidden.
// Without JavaScript the page is simply as fresh as its last load.
(function () {
  "use strict";
  var panel = document.querySelector("[data-poll-url]");
  if (!panel || !window.fetch) return;
  var url = panel.getAttribute("data-poll-url");
  var base = Number(panel.getAttribute("data-poll-seconds")) || 5;
  var syncId = Number(panel.getAttribute("data-sync-id"));
  var wait = base;
  var MAX_WAIT = 60;  // seconds: a long sync is still looked at once a minute
  var live = document.getElementById("sync-live");
  var stateChip = document.getElementById("sync-state");
  var timer = null;

  function schedule() {
    if (timer === null && !document.hidden) timer = setTimeout(poll, wait * 1000);
  }

  function show(sync) {
    var changed = false;
    panel.querySelectorAll("[data-sync-field]").forEach(function (cell) {
      var value = String(sync[cell.getAttribute("data-sync-field")]);
      if (cell.textContent !== value) { cell.textContent = value; changed = true; }
    });
    if (stateChip && stateChip.textContent !== sync.state_words) {
      stateChip.textContent = sync.state_words;
      if (live) live.textContent = sync.state_words + ".";
      changed = true;
    }
    return changed;
  }

  function poll() {
    timer = null;
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (status) {
        var sync = status.sync;
        if (!sync || sync.id !== syncId || !sync.running) {
          window.location.reload();
          return;
        }
        wait = show(sync) ? base : Math.min(MAX_WAIT, wait * 2);
        schedule();
      })
      .catch(function () {
        wait = Math.min(MAX_WAIT, wait * 2);
        schedule();
      });
  }

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) {
      clearTimeout(timer);
      timer = null;
    } else {
      wait = base;
      schedule();
    }
  });
  schedule();
})();

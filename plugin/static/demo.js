// Keeps the demo page live: jobs run in the background, so re-fetch the feed every second
// and swap it in only when the server's answer changed (the browser's own innerHTML never
// equals the server's text, so comparing with it would re-render, and steal keyboard focus
// and the chat's scroll position, on every poll).
(function () {
  "use strict";
  var feed = document.getElementById("feed");
  if (!feed) return;
  var url = feed.getAttribute("data-feed-url");
  var POLL_MS = 1000;
  var last = null;

  function chat() { return document.getElementById("chat"); }

  function newestBubble() {
    var all = feed.querySelectorAll("#chat .bubble");
    return all.length ? all[all.length - 1] : null;
  }

  // Screen readers hear each new message once, through a live region outside the feed.
  function announce(before) {
    var status = document.getElementById("feed-status");
    var newest = newestBubble();
    if (!status || !newest || newest.getAttribute("data-message") === before) return;
    var text = newest.querySelector("p");
    status.textContent = "New message to the shopper: " + (text ? text.textContent : "");
  }

  function scrollChatToEnd() {
    var box = chat();
    if (box) box.scrollTop = box.scrollHeight;
  }

  // A selector that finds "the same" control after the feed is re-rendered.
  function focusKey(element) {
    if (!element || !feed.contains(element)) return null;
    if (element.id) return "#" + element.id;
    var named = element.getAttribute("data-focus-key");
    if (named) return '[data-focus-key="' + named + '"]';
    var row = element.closest("tr[data-order]");
    var action = element.getAttribute("data-action");
    if (row && action) {
      return 'tr[data-order="' + row.getAttribute("data-order") + '"] [data-action="' + action + '"]';
    }
    return null;
  }

  function swap(html) {
    var box = chat();
    var atEnd = !box || box.scrollHeight - box.scrollTop - box.clientHeight < 40;
    var key = focusKey(document.activeElement);
    var newest = newestBubble();
    var before = newest ? newest.getAttribute("data-message") : null;
    feed.innerHTML = html;
    announce(before);
    if (atEnd) scrollChatToEnd();
    if (key) {
      var again = feed.querySelector(key);
      if (again) again.focus();
    }
  }

  function refresh() {
    fetch(url, { headers: { "Accept": "text/html" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) return;
        if (html !== last) swap(html);  // the first answer may already be newer than the page
        last = html;
      })
      .catch(function () { /* the server is restarting; the next poll tries again */ })
      .then(function () { setTimeout(refresh, POLL_MS); });
  }

  scrollChatToEnd();
  refresh();
})();

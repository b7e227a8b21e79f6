// Keeps the demo page live: jobs run in the background, so re-fetch the feed until the
// newest message has settled, and keep the phone scrolled to the latest bubble.
(function () {
  "use strict";
  var feed = document.getElementById("feed");
  if (!feed) return;
  var url = feed.getAttribute("data-feed-url");
  var POLL_MS = 1000;

  function scrollChat() {
    var chat = document.getElementById("chat");
    if (chat) chat.scrollTop = chat.scrollHeight;
  }

  function refresh() {
    fetch(url, { headers: { "Accept": "text/html" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html !== null && html !== feed.innerHTML) {
          feed.innerHTML = html;
          scrollChat();
        }
      })
      .catch(function () { /* the server is restarting; the next poll tries again */ })
      .then(function () { setTimeout(refresh, POLL_MS); });
  }

  scrollChat();
  setTimeout(refresh, POLL_MS);
})();

// The team inbox (plugin/templates/inbox/page.html): new messages without reloading, the
// service window's countdown, quick-reply shortcuts and the 4,096-character limit.
// Polls the page's `updates` URL with the ETag of what it shows: 304 while nothing changed.
// Without this script the page still works: forms post and the page reloads.
(function () {
  'use strict';
  var root = document.getElementById('inbox');
  if (!root) return;
  var url = root.getAttribute('data-updates');
  var every = parseInt(root.getAttribute('data-poll-ms'), 10) || 2000;
  var etag = null;

  function scrollThread() {
    var list = document.querySelector('.bubbles');
    if (list) list.scrollTop = list.scrollHeight;
  }

  function countdown() {
    var line = document.querySelector('[data-closes-at]');
    if (!line) return;
    var out = line.querySelector('.window-countdown');
    var left = (Date.parse(line.getAttribute('data-closes-at')) - Date.now()) / 1000;
    if (left <= 0) { out.textContent = '(closed now: reload for the templates)'; return; }
    var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60);
    out.textContent = '(' + (h ? h + ' h ' : '') + m + ' min left)';
  }

  function poll() {
    var headers = {'Accept': 'application/json'};
    if (etag) headers['If-None-Match'] = etag;
    fetch(url, {headers: headers, credentials: 'same-origin'}).then(function (response) {
      if (response.status !== 200) return null;
      etag = response.headers.get('ETag');
      return response.json();
    }).then(function (data) {
      if (!data) return;
      var list = document.getElementById('inbox-list-body');
      var thread = document.getElementById('inbox-thread-body');
      if (list) list.innerHTML = data.list_html;  // rendered and escaped by the server
      if (thread && data.thread_html) {
        thread.innerHTML = data.thread_html;
        scrollThread();
        countdown();
      }
    }).catch(function () { /* offline for a moment: the next poll tries again */ })
      .then(function () { window.setTimeout(poll, every); });
  }

  var text = document.getElementById('reply-text');
  if (text) {
    document.querySelectorAll('[data-shortcut]').forEach(function (button) {
      button.addEventListener('click', function () {
        text.value = button.getAttribute('data-shortcut');
        text.focus();
      });
    });
    var limit = parseInt(text.getAttribute('data-limit'), 10);
    text.addEventListener('input', function () {
      text.setCustomValidity(text.value.length > limit
        ? 'WhatsApp takes at most ' + limit + ' characters (' + text.value.length + ' now).' : '');
    });
  }
  scrollThread();
  countdown();
  window.setInterval(countdown, 30000);
  window.setTimeout(poll, every);
  root.setAttribute('data-live', 'polling');  // wired: the page updates itself from now on
})();

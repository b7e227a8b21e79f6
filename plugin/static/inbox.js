// The team inbox (plugin/templates/inbox/page.html): new messages without reloading, the
// service window's countdown, quick-reply shortcuts, the 4,096-character limit, the emoji
// picker and the product picker's search.
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
  // The emoji picker: a button opening a grid; arrow keys move, Enter or a click inserts at
  // the caret, Escape closes and gives the focus back. Without this script it stays hidden.
  var toggle = document.getElementById('emoji-toggle');
  var grid = document.getElementById('emoji-grid');
  if (text && toggle && grid) {
    var cells = Array.prototype.slice.call(grid.querySelectorAll('[data-emoji]'));
    var caret = {start: 0, end: 0};
    var remember = function () {
      caret = {start: text.selectionStart, end: text.selectionEnd};
    };
    ['keyup', 'click', 'select', 'input', 'blur'].forEach(function (name) {
      text.addEventListener(name, remember);
    });
    var setOpen = function (open) {
      grid.hidden = !open;
      toggle.setAttribute('aria-expanded', open ? 'true' : 'false');
      if (open && cells.length) { cells[0].tabIndex = 0; cells[0].focus(); }
      if (!open) toggle.focus();
    };
    toggle.hidden = false;
    toggle.addEventListener('click', function () { setOpen(grid.hidden); });
    var columns = function () {
      var top = cells[0].offsetTop, n = 0;
      while (n < cells.length && cells[n].offsetTop === top) n += 1;
      return n || 1;
    };
    cells.forEach(function (cell, index) {
      cell.addEventListener('click', function () {
        var value = text.value, emoji = cell.getAttribute('data-emoji');
        text.value = value.slice(0, caret.start) + emoji + value.slice(caret.end);
        caret.start = caret.end = caret.start + emoji.length;
        setOpen(false);
        text.focus();
        text.setSelectionRange(caret.start, caret.end);
        text.dispatchEvent(new Event('input'));
      });
      cell.addEventListener('keydown', function (event) {
        var step = {ArrowRight: 1, ArrowLeft: -1, ArrowDown: columns(), ArrowUp: -columns(),
                    Home: -index, End: cells.length - 1 - index}[event.key];
        if (event.key === 'Escape') { event.preventDefault(); setOpen(false); return; }
        if (step === undefined) return;
        event.preventDefault();
        var next = cells[Math.min(cells.length - 1, Math.max(0, index + step))];
        cell.tabIndex = -1;
        next.tabIndex = 0;
        next.focus();
      });
    });
  }

  // The product picker: typing narrows the listed products at once (the Search button
  // asks the server, for products beyond the first ones listed).
  var productQuery = document.getElementById('product-query');
  if (productQuery) {
    var narrow = function () {
      var words = productQuery.value.trim().toLowerCase();
      document.querySelectorAll('[data-product-text]').forEach(function (row) {
        row.hidden = words !== '' && row.getAttribute('data-product-text').indexOf(words) < 0;
      });
    };
    productQuery.addEventListener('input', narrow);
    narrow(); // words typed before this deferred script ran
  }

  scrollThread();
  countdown();
  window.setInterval(countdown, 30000);
  window.setTimeout(poll, every);
  root.setAttribute('data-live', 'polling');  // wired: the page updates itself from now on
})();

/* The Team page: copy the new invitation link (shown once) to the clipboard. */
(function (d, w) {
  'use strict';
  d.querySelectorAll('[data-copy]').forEach(function (button) {
    var source = d.getElementById(button.getAttribute('data-copy'));
    var status = d.getElementById('copy-status');
    if (!source) return;
    button.addEventListener('click', function () {
      source.select();
      function said(text) { if (status) status.textContent = text; }
      if (!w.navigator.clipboard) { said('Selected: press Ctrl+C (or ⌘C) to copy.'); return; }
      w.navigator.clipboard.writeText(source.value).then(function () {
        said('Copied to the clipboard.');
      }, function () { said('Selected: press Ctrl+C (or ⌘C) to copy.'); });
    });
  });
})(document, window);

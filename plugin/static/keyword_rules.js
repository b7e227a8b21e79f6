/* The keyword rules' tester: as the owner types a sample message, ask the server which rule
   matches it (the same matching shoppers get) and show what that rule would do. Without
   this script the form posts and the page answers. */
(function () {
  'use strict';
  var form = document.getElementById('tester-form');
  var result = document.getElementById('tester-result');
  if (!form || !result || !window.StoreChat || !window.StoreChat.livePreview) return;

  function show(answer) {
    result.textContent = '';
    var summary = document.createElement('p');
    var strong = document.createElement('strong');
    strong.textContent = answer.summary;
    summary.appendChild(strong);
    result.appendChild(summary);
    var list = document.createElement('ul');
    answer.does.forEach(function (line) {
      var item = document.createElement('li');
      item.textContent = line;
      list.appendChild(item);
    });
    result.appendChild(list);
    result.hidden = false;
    Array.prototype.forEach.call(document.querySelectorAll('.keyword-rule'), function (li) {
      li.classList.toggle('is-match', String(answer.rule_id) === li.getAttribute('data-rule'));
    });
  }

  function failed() {
    result.textContent = 'The tester could not answer; press Test to try again.';
    result.hidden = false;
  }

  var preview = window.StoreChat.livePreview(form, form.action, 300, show, failed);
  form.addEventListener('input', preview.soon);
  // Words typed before this script ran (a slow page) are tried at once.
  if (document.getElementById('sample').value.trim()) preview.now();
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    preview.now();
  });
}());

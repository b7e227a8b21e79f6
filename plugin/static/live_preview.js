/* The live preview the editors share (templates.js, journeys.js, designer.js; load this file
   first): post the whole form (CSRF token included) to a preview URL a moment after the owner
   stops changing it, and hand on only the answer to the newest post, so a slow older answer
   never paints over a newer one.

   StoreChat.livePreview(form, url, waitMs, show, failed) returns {now, soon}: now() posts at
   once, soon() posts once nothing has changed for waitMs. show(answer) gets the newest JSON
   answer; failed() runs when that newest post (or show) failed.

   StoreChat.formEdited(form) says whether a field differs from the page as the server
   rendered it: these scripts are deferred, so an owner can type before they listen (and a
   browser restores a form on "back"); an editor then asks at once instead of showing a
   preview or count of the rendered values. */
(function (w) {
  'use strict';
  w.StoreChat = w.StoreChat || {};
  w.StoreChat.livePreview = function (form, url, waitMs, show, failed) {
    var timer = 0, asked = 0;

    function now() {
      var mine = ++asked;
      var data = new FormData(form);
      // A preview reads the fields, not the files: a chosen video is sent once, on save.
      Array.prototype.forEach.call(form.querySelectorAll('input[type=file][name]'),
        function (input) { data.delete(input.name); });
      fetch(url, {
        method: 'POST', body: data, credentials: 'same-origin',
        headers: {'Accept': 'application/json'}
      }).then(function (r) {
        if (!r.ok) throw new Error('status ' + r.status);
        return r.json();
      }).then(function (answer) {
        if (mine === asked) show(answer); // else a newer answer is on its way
      }).catch(function () {
        if (mine === asked) failed();
      });
    }

    function soon() {
      clearTimeout(timer);
      timer = setTimeout(now, waitMs);
    }

    return {now: now, soon: soon};
  };

  w.StoreChat.formEdited = function (form) {
    return Array.prototype.some.call(form.elements, function (field) {
      if (field.type === 'checkbox' || field.type === 'radio') {
        return field.checked !== field.defaultChecked;
      }
      if (field.tagName === 'SELECT') {
        // With no option marked selected, the browser shows the first.
        var marked = Array.prototype.findIndex.call(field.options, function (option) {
          return option.defaultSelected;
        });
        return field.selectedIndex !== Math.max(marked, 0);
      }
      return field.type !== 'file' && 'defaultValue' in field &&
        field.value !== field.defaultValue;
    });
  };
})(window);

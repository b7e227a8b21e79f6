/* The Templates pages (plugin/templates/templates/).

   Editor: as the owner types, the form is posted to the check URL (live_preview.js),
   which answers {html, errors, variables, header_variables}: the phone fragment, rendered
   and escaped by the server, replaces the preview, and each of Meta's problems appears next
   to its field. Character counters, the sample fields of the body's variables, and the
   parts that depend on the category, the header and each button's kind follow locally.
   The server checks everything again on submit; this script only saves the owner a trip.

   List: while a template is in review, its status is asked for every few seconds, so an
   approval (or a rejection with WhatsApp's reason) shows without reloading. */
(function (d, w) {
  'use strict';
  var POLL_MS = 2000, DEBOUNCE_MS = 250;

  function each(selector, root, fn) {
    Array.prototype.forEach.call((root || d).querySelectorAll(selector), fn);
  }

  // ---- The editor -------------------------------------------------------------------
  var form = d.getElementById('template-form');
  if (form) editor(form);

  function editor(form) {
    var phone = d.getElementById('phone-preview');
    var status = d.getElementById('check-status');
    var samples = d.getElementById('samples');
    var banner = d.getElementById('form-errors');

    function value(name) {
      var field = form.elements[name];
      if (!field) return '';
      if (field.length !== undefined && !field.tagName) { // a radio group
        for (var i = 0; i < field.length; i++) if (field[i].checked) return field[i].value;
        return '';
      }
      return field.value;
    }

    function counters() {
      each('[data-count-for]', form, function (counter) {
        var field = form.elements[counter.getAttribute('data-count-for')];
        var most = parseInt(counter.getAttribute('data-max'), 10);
        var length = field ? field.value.length : 0;
        counter.textContent = length + '/' + most;
        counter.classList.toggle('over', length > most);
      });
    }

    function sections() {
      var auth = value('category') === 'AUTHENTICATION';
      each('[data-auth-only]', form, function (el) { el.hidden = !auth; });
      each('[data-auth-hide]', form, function (el) { el.hidden = auth; });
      var header = value('header_kind');
      each('[data-header]', form, function (el) {
        var kind = el.getAttribute('data-header');
        el.hidden = kind === 'text' ? header !== 'text'
          : ['image', 'video', 'document'].indexOf(header) < 0;
      });
      each('[data-button-row]', form, function (row) {
        var kind = row.querySelector('[data-button-kind]').value;
        each('[data-for-kinds]', row, function (part) {
          part.hidden = part.getAttribute('data-for-kinds').split(' ').indexOf(kind) < 0;
        });
      });
    }

    // Rows of buttons: the used ones and one more; "Add a button" shows the next.
    var add = d.getElementById('add-button');
    function hiddenRows() {
      return Array.prototype.filter.call(form.querySelectorAll('[data-button-row]'),
        function (row) { return row.hidden; });
    }
    if (add) {
      add.hidden = hiddenRows().length === 0;
      add.addEventListener('click', function () {
        var next = hiddenRows()[0];
        if (next) {
          next.hidden = false;
          next.querySelector('select').focus();
        }
        add.hidden = hiddenRows().length === 0;
      });
    }

    // One sample field per body variable, kept in the order they appear.
    function syncSamples(names) {
      var rows = {};
      each('[data-sample]', samples, function (row) { rows[row.getAttribute('data-sample')] = row; });
      names.forEach(function (name) {
        var row = rows[name];
        if (!row) {
          row = d.createElement('div');
          row.className = 'sample-row';
          row.setAttribute('data-sample', name);
          var label = d.createElement('label');
          label.htmlFor = 'sample_' + name;
          label.appendChild(d.createTextNode('Sample for '));
          var code = d.createElement('code');
          code.textContent = '{{' + name + '}}';
          label.appendChild(code);
          var input = d.createElement('input');
          input.id = input.name = 'sample_' + name;
          input.setAttribute('aria-describedby', 'error-sample_' + name);
          var error = d.createElement('p');
          error.className = 'field-error';
          error.id = 'error-sample_' + name;
          error.setAttribute('data-error-for', 'sample_' + name);
          error.hidden = true;
          row.appendChild(label);
          row.appendChild(input);
          row.appendChild(error);
        }
        row.hidden = false;
        samples.appendChild(row); // appending an existing row moves it into order
        delete rows[name];
      });
      Object.keys(rows).forEach(function (name) { rows[name].hidden = true; });
    }

    function showErrors(errors) {
      each('[data-error-for]', form, function (box) {
        var name = box.getAttribute('data-error-for');
        box.textContent = errors[name] || '';
        box.hidden = !errors[name];
        var field = form.querySelector('[aria-describedby="error-' + name + '"]');
        if (field) {
          if (errors[name]) field.setAttribute('aria-invalid', 'true');
          else field.removeAttribute('aria-invalid');
        }
      });
      if (banner && !Object.keys(errors).length) banner.hidden = true;
    }

    var preview = w.StoreChat.livePreview(form, form.getAttribute('data-check-url'), DEBOUNCE_MS,
      function (answer) {
        phone.innerHTML = answer.html;
        syncSamples(answer.variables || []);
        var headerSample = form.querySelector('[data-header-sample]');
        if (headerSample) headerSample.hidden = !(answer.header_variables || []).length;
        showErrors(answer.errors || {});
        var count = Object.keys(answer.errors || {}).length;
        if (status) status.textContent = count ? count + ' thing' + (count > 1 ? 's' : '') +
          ' to fix before submitting.' : 'Ready to submit.';
      },
      function () {
        if (status) status.textContent = 'The preview could not be updated; reload the page.';
      });

    function changed() {
      counters();
      sections();
      preview.soon();
    }

    form.addEventListener('input', changed);
    form.addEventListener('change', changed);
    counters();
    sections();
    // Words typed before this deferred script ran are previewed at once.
    if (w.StoreChat.formEdited(form)) preview.now();
  }

  // ---- The list: follow templates in review -----------------------------------------
  var table = d.getElementById('templates');
  if (table && table.getAttribute('data-status-url')) follow(table);

  function follow(table) {
    var live = d.getElementById('status-live');
    function pending() {
      return table.querySelector('.status-pending') !== null;
    }
    function poll() {
      if (!pending()) return;
      fetch(table.getAttribute('data-status-url'), {
        credentials: 'same-origin', headers: {'Accept': 'application/json'}
      }).then(function (r) {
        if (!r.ok) throw new Error('status ' + r.status);
        return r.json();
      }).then(function (answer) {
        answer.templates.forEach(function (t) {
          var row = table.querySelector('[data-template-id="' + t.id + '"]');
          if (!row) return;
          var badge = row.querySelector('[data-status]');
          var before = badge.textContent;
          badge.className = 'status template-status status-' + t.status.toLowerCase();
          badge.textContent = t.words;
          var reason = row.querySelector('[data-reason]');
          reason.textContent = t.reason;
          reason.hidden = !t.reason;
          if (before !== t.words && live) {
            live.textContent = row.getAttribute('data-template') + ': ' + t.words + '.';
          }
        });
        setTimeout(poll, POLL_MS);
      }).catch(function () { setTimeout(poll, POLL_MS * 3); });
    }
    setTimeout(poll, POLL_MS);
  }
})(document, window);

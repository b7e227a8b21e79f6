/* The automation editor (plugin/templates/journeys/edit.html): a live phone preview of the
   form's current values, nothing saved.

   On every change this script posts the form (live_preview.js; the chosen preview order
   included) to the editor's preview URL, which answers {html, errors, body, placeholders,
   warning}: the phone fragment, rendered and escaped by the server, replaces the preview;
   the variable rows shown follow the chosen template's number of blanks; languages the
   chosen template does not exist in are disabled. */
(function (d, w) {
  'use strict';
  var form = d.getElementById('journey-form');
  if (!form) return;
  var phone = d.getElementById('phone-preview');
  var status = d.getElementById('preview-status');
  var template = d.getElementById('template');
  var language = d.getElementById('language');

  function say(text) { if (status) status.textContent = text; }

  function showErrors(errors) {
    d.querySelectorAll('[data-error-for]').forEach(function (box) {
      var name = box.getAttribute('data-error-for');
      if (name === 'test_phone') return; // only a test send checks the phone number
      box.textContent = errors[name] || '';
      box.hidden = !errors[name];
      var field = d.querySelector('[aria-describedby="error-' + name + '"]');
      if (field) {
        if (errors[name]) field.setAttribute('aria-invalid', 'true');
        else field.removeAttribute('aria-invalid');
      }
    });
  }

  function showRows(count) {
    form.querySelectorAll('[data-var]').forEach(function (row) {
      row.hidden = parseInt(row.getAttribute('data-var'), 10) > count;
    });
    var none = d.getElementById('no-variables');
    if (none) none.hidden = count > 0;
  }

  function text(id, value) {
    var node = d.getElementById(id);
    if (!node) return;
    node.textContent = value || '';
    if (id === 'template-warning' || id === 'category-warning') node.hidden = !value;
  }

  // Languages the chosen template exists in; move to one of them if the current is not.
  function syncLanguages() {
    var option = template && template.selectedOptions[0];
    if (!option || !language) return;
    var langs = (option.getAttribute('data-languages') || '').split(' ').filter(Boolean);
    if (!langs.length) return;
    Array.prototype.forEach.call(language.options, function (o) {
      o.disabled = langs.indexOf(o.value) < 0;
    });
    if (langs.indexOf(language.value) < 0) language.value = langs[0];
  }

  var preview = w.StoreChat.livePreview(form, form.getAttribute('data-preview-url'), 200,
    function (answer) {
      phone.innerHTML = answer.html;
      showRows(answer.placeholders);
      showErrors(answer.errors || {});
      text('template-body', answer.body);
      text('template-warning', answer.warning);
      text('category-warning', answer.category_warning);
      say('Preview updated.');
    },
    function () { say('The preview could not be updated; reload the page.'); });

  if (template) template.addEventListener('change', syncLanguages);
  form.addEventListener('input', preview.soon);
  form.addEventListener('change', preview.soon);
  // The preview order and the test number live outside the form element (form="…").
  ['order'].forEach(function (id) {
    var el = d.getElementById(id);
    if (el) el.addEventListener('change', preview.soon);
  });
  syncLanguages();
  // Words typed before this deferred script ran are previewed at once.
  if (w.StoreChat.formEdited(form)) preview.now();
})(document, window);

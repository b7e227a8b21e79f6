/* The widget designer (plugin/templates/widget/designer.html): a live preview of the real
   widget with the form's current values, more agent rows, and copying the install snippet.

   The page loads the real /widget.js with `data-preview`. On every change this script posts
   the form (live_preview.js) to the designer's preview URL, which answers the public
   config for those values without saving them, and hands that config to the widget with a
   `storechat:preview` CustomEvent on document (the widget's preview hook, widget.js). The
   widget renders synchronously; its host is then moved into the stage, whose CSS transform
   makes the fixed-position widget sit in the stage's corner instead of the page's. */
(function (d, w) {
  'use strict';
  var form = d.getElementById('designer-form');
  if (!form) return;
  var stage = d.getElementById('designer-stage');
  var status = d.getElementById('preview-status');
  var ready = false, latest = null;

  function say(text) { if (status) status.textContent = text; }

  function showErrors(errors) {
    form.querySelectorAll('[data-error-for]').forEach(function (box) {
      var name = box.getAttribute('data-error-for'), texts = [];
      if (name === 'agents') {
        Object.keys(errors).forEach(function (k) { if (k.indexOf('agent') === 0) texts.push(errors[k]); });
      } else if (errors[name]) {
        texts.push(errors[name]);
      }
      box.textContent = '';
      texts.forEach(function (t) {
        var p = d.createElement(name === 'agents' ? 'p' : 'span');
        p.textContent = t;
        box.appendChild(p);
      });
      box.hidden = !texts.length;
      var field = form.querySelector('[aria-describedby="error-' + name + '"]');
      if (field) {
        if (texts.length) field.setAttribute('aria-invalid', 'true');
        else field.removeAttribute('aria-invalid');
      }
    });
  }

  // Whether the owner left the preview's panel open: a click in the form closes it (the
  // widget closes on clicks outside it), but the next rendering opens it again.
  var keepOpen = false;
  function launcherOf(host) { return host.shadowRoot && host.shadowRoot.querySelector('.l'); }
  function watch(host) {
    ['click', 'keydown'].forEach(function (type) {
      host.addEventListener(type, function () {
        setTimeout(function () {
          var l = launcherOf(host);
          if (l && host.isConnected) keepOpen = l.getAttribute('aria-expanded') === 'true';
        }, 0);
      });
    });
  }

  function paint(config) {
    var old = d.querySelector('storechat-widget'), focused = d.activeElement;
    if (old) old.remove();
    if (!config || !config.enabled) {
      say('Nothing to show: add an agent with a WhatsApp number' +
          (stage && stage.getAttribute('data-active') === 'no' ? ', and reactivate the store.' : '.'));
      return;
    }
    d.dispatchEvent(new CustomEvent('storechat:preview', {detail: config}));
    var host = d.querySelector('storechat-widget');
    if (!host) { say('The widget did not render.'); return; }
    stage.appendChild(host);
    watch(host);
    var launcher = launcherOf(host);
    if (keepOpen && launcher) {
      launcher.click();
      if (focused && focused !== d.body && d.contains(focused)) focused.focus();
    }
    say('Preview updated.');
  }

  var preview = w.StoreChat.livePreview(form, form.getAttribute('data-preview-url'), 250,
    function (answer) {
      latest = answer.config;
      showErrors(answer.errors || {});
      if (ready) paint(latest);
    },
    function () { say('The preview could not be updated; reload the page.'); });

  form.addEventListener('input', preview.soon);
  form.addEventListener('change', preview.soon);
  // Choices made before this deferred script ran are previewed at once.
  if (w.StoreChat.formEdited(form)) preview.now();

  // The widget script is loaded after this one (async, by its loader): wait for its hook.
  var tries = 0;
  (function waitForWidget() {
    if (w.StoreChatWidget) {
      ready = true;
      if (latest) paint(latest);
      return;
    }
    if (++tries > 200) { say('The widget script did not load.'); return; }
    setTimeout(waitForWidget, 50);
  })();
  say('Loading the preview…');
  preview.now();

  // More agent rows: a copy of the last row, emptied, with fresh ids.
  var agents = d.getElementById('agents'), add = d.getElementById('add-agent');
  if (agents && add) {
    var max = parseInt(agents.getAttribute('data-max'), 10) || 10;
    var sync = function () { add.hidden = agents.querySelectorAll('[data-agent]').length >= max; };
    add.addEventListener('click', function () {
      var rows = agents.querySelectorAll('[data-agent]');
      var row = rows[rows.length - 1].cloneNode(true), n = rows.length + 1;
      row.querySelectorAll('input').forEach(function (input) {
        input.value = '';
        input.id = input.id.replace(/-\d+$/, '-' + n);
      });
      row.querySelectorAll('label').forEach(function (label) {
        label.htmlFor = label.htmlFor.replace(/-\d+$/, '-' + n);
      });
      agents.appendChild(row);
      row.querySelector('input').focus();
      sync();
    });
    sync();
  }

  // Copy buttons.
  d.querySelectorAll('[data-copy]').forEach(function (button) {
    button.addEventListener('click', function () {
      var source = d.getElementById(button.getAttribute('data-copy'));
      if (!source || !navigator.clipboard) return;
      navigator.clipboard.writeText(source.textContent).then(function () {
        button.textContent = 'Copied';
        setTimeout(function () { button.textContent = 'Copy'; }, 2000);
      }, function () { /* no clipboard permission: the text stays selectable */ });
    });
  });
})(document, window);

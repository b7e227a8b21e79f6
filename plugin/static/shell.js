// The admin shell's phone menu. Loaded synchronously in <head>: marking <html> before the
// first paint lets app.css fold the navigation behind the Menu button on narrow screens
// without a flash. Without this script the button stays hidden and the navigation open.
(function () {
  'use strict';
  var root = document.documentElement;
  root.classList.add('js');

  function wire() {
    var button = document.getElementById('menu-button');
    var nav = document.getElementById('site-nav');
    if (!button || !nav) return;

    function setOpen(open) {
      button.setAttribute('aria-expanded', open ? 'true' : 'false');
      nav.classList.toggle('is-open', open);
    }

    button.hidden = false;
    setOpen(false);
    button.addEventListener('click', function () {
      setOpen(button.getAttribute('aria-expanded') !== 'true');
    });
    // Escape closes the open menu from anywhere inside it and gives focus back.
    document.addEventListener('keydown', function (event) {
      if (event.key !== 'Escape' || button.getAttribute('aria-expanded') !== 'true') return;
      if (getComputedStyle(button).display === 'none') return;  // the desktop sidebar
      setOpen(false);
      button.focus();
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', wire);
  } else {
    wire();
  }
}());

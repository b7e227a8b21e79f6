/* StoreChat "Notify me on WhatsApp": shows the block only while the selected variant is
   sold out, and posts its form to StoreChat. The answer names the store's WhatsApp number
   and a prefilled message; sending it confirms the subscription. */
(function (w, d) {
  function setup(root) {
    var data = root.querySelector('[data-storechat-notify-variants]'), variants = [];
    var form = root.querySelector('form'), open = root.querySelector('.storechat-notify__open');
    var status = root.querySelector('.storechat-notify__status');
    try { variants = JSON.parse(data.textContent); } catch (e) { return; }
    function select(id) {
      id = String(id || '');
      variants.forEach(function (v) {
        if (String(v.id) !== id) return;
        form.elements.variant.value = v.id;
        root.hidden = !!v.available;
      });
    }
    function fromUrl() { select((w.location.search.match(/[?&]variant=(\d+)/) || [])[1]); }
    // Themes announce a variant change in different ways (as the app embed reads them).
    ['variant:change', 'on:variant:change', 'variant:changed', 'variant:update'].forEach(function (t) {
      d.addEventListener(t, function (e) {
        var x = e.detail || {}, v = x.variant || x.resource || (x.data && x.data.variant) || x;
        if (v && v.id) { select(v.id); } else { fromUrl(); }
      });
    });
    d.addEventListener('change', function (e) {
      var t = e.target;
      if (t && t.name === 'id' && t.form && /\/cart\/add/.test(t.form.action)) select(t.value);
      setTimeout(fromUrl, 0);
    }, true);
    w.addEventListener('popstate', fromUrl);
    var picked = d.querySelector('form[action*="/cart/add"] [name="id"]');
    if (picked) select(picked.value);

    open.addEventListener('click', function () {
      form.hidden = !form.hidden;
      open.setAttribute('aria-expanded', String(!form.hidden));
      if (!form.hidden) form.elements.phone.focus();
    });
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      status.className = 'storechat-notify__status';
      status.textContent = '';
      var body = new URLSearchParams(new FormData(form));
      fetch(root.getAttribute('data-endpoint'), { method: 'POST', body: body })
        .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); })
        .then(function (r) {
          if (!r.ok) throw new Error('refused');
          status.textContent = root.getAttribute('data-sent') + ' ';
          if (r.body.wa) {
            var a = d.createElement('a');
            a.href = 'https://wa.me/' + encodeURIComponent(r.body.wa) + '?text=' + encodeURIComponent(r.body.text || '');
            a.target = '_blank';
            a.rel = 'noopener';
            a.textContent = root.getAttribute('data-confirm');
            status.appendChild(a);
          }
          form.elements.phone.readOnly = true;
        })
        .catch(function () {
          status.className = 'storechat-notify__status is-error';
          status.textContent = root.getAttribute('data-error');
        });
    });
  }
  function start() {
    Array.prototype.forEach.call(d.querySelectorAll('[data-storechat-notify]'), setup);
  }
  if (d.readyState === 'loading') { d.addEventListener('DOMContentLoaded', start); } else { start(); }
})(window, document);

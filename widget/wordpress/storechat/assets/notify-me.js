/* StoreChat "Notify me on WhatsApp" for WooCommerce: shown for an out-of-stock simple product,
   or when the chosen variation is out of stock (found_variation / reset_data); the form posts
   to StoreChat, whose answer links to the WhatsApp message that confirms. */
(function ($, w, d) {
  $(function () {
    $('[data-storechat-notify]').each(function () {
      var root = this, form = root.querySelector('form');
      var open = root.querySelector('.storechat-notify__open');
      var status = root.querySelector('.storechat-notify__status');
      $(d.body).on('found_variation', 'form.variations_form', function (e, variation) {
        form.elements.variant.value = variation.variation_id;
        root.hidden = !!variation.is_in_stock;
      }).on('reset_data', 'form.variations_form', function () {
        form.elements.variant.value = '';
        root.hidden = true;
      });
      open.addEventListener('click', function () {
        form.hidden = !form.hidden;
        open.setAttribute('aria-expanded', String(!form.hidden));
        if (!form.hidden) form.elements.phone.focus();
      });
      form.addEventListener('submit', function (e) {
        e.preventDefault();
        status.className = 'storechat-notify__status';
        status.textContent = '';
        fetch(root.getAttribute('data-endpoint'), { method: 'POST', body: new URLSearchParams(new FormData(form)) })
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
    });
  });
})(jQuery, window, document);

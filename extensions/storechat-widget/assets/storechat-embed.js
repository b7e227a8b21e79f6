/* StoreChat app embed: keeps window.StoreChatProduct on the selected variant, so the chat
   message names what the shopper picked. The widget reads it at click time. */
(function (w, d, l) {
  var p = w.StoreChatProduct, el = d.getElementById('storechat-variants'), all;
  if (!p || !el) return;
  try { all = JSON.parse(el.textContent); } catch (e) { return; }
  function pick(id) {
    id = String(id || '');
    all.forEach(function (v) {
      if (String(v.id) != id || id == String(p.variantId)) return;
      p.variantId = v.id; p.price = v.price; p.sku = v.sku;
      if (all.length > 1) p.variant = v.variant;
      p.url = p.url.split('?')[0] + '?variant=' + v.id;
    });
  }
  function fromUrl() { pick((l.search.match(/[?&]variant=(\d+)/) || [])[1]); }
  // Themes announce a change in different ways: Dawn-style `variant:change`, Impact/Prestige
  // `on:variant:change`, Horizon `variant:update`, or just the form's hidden id input.
  ['variant:change', 'on:variant:change', 'variant:changed', 'variant:update'].forEach(function (t) {
    d.addEventListener(t, function (e) {
      var x = e.detail || {}, v = x.variant || x.resource || (x.data && x.data.variant) || x;
      v && v.id ? pick(v.id) : fromUrl();
    });
  });
  d.addEventListener('change', function (e) {
    var t = e.target;
    if (t && t.name == 'id' && t.form && /\/cart\/add/.test(t.form.action)) pick(t.value);
    setTimeout(fromUrl, 0); // themes that only rewrite ?variant=
  }, true);
  w.addEventListener('popstate', fromUrl);
  fromUrl();
})(window, document, location);

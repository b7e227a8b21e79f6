// Inside Shopify's admin there is no session cookie: each request to StoreChat proves the
// shop with a fresh App Bridge ID token. A form cannot set headers, so a POST form gets the
// token in its action's query (as Shopify's own document loads do); a same-origin fetch
// gets it as an Authorization: Bearer header. App Bridge (window.shopify) loads first.
(function () {
  'use strict';
  var bridge = window.shopify;
  if (!bridge || typeof bridge.idToken !== 'function') return;
  var here = window.location;

  function sameOrigin(url) {
    return new URL(url, here.href).origin === here.origin;
  }

  // Bubbling on the document: a page's own submit handler runs first and may cancel.
  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (event.defaultPrevented || form.method.toLowerCase() !== 'post') return;
    if (!sameOrigin(form.action)) return;
    event.preventDefault();
    var submitter = event.submitter;
    bridge.idToken().then(function (token) {
      var action = new URL(form.action, here.href);
      action.searchParams.set('id_token', token);
      form.action = action.toString();
      if (submitter && submitter.name) {
        // form.submit() sends no submitter: keep the clicked button's name and value.
        var chosen = document.createElement('input');
        chosen.type = 'hidden';
        chosen.name = submitter.name;
        chosen.value = submitter.value;
        form.appendChild(chosen);
      }
      form.submit();
    });
  });

  var plainFetch = window.fetch.bind(window);
  window.fetch = function (input, init) {
    var url = input instanceof Request ? input.url : String(input);
    if (!sameOrigin(url)) return plainFetch(input, init);
    return bridge.idToken().then(function (token) {
      var options = Object.assign({}, init);
      var headers = new Headers(options.headers || (input instanceof Request ? input.headers : undefined));
      headers.set('Authorization', 'Bearer ' + token);
      options.headers = headers;
      return plainFetch(input, options);
    });
  };
}());

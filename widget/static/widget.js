/* StoreChat click-to-chat widget. Vanilla JS, no dependencies. It renders into a Shadow DOM
   on a fixed host of explicit size. Everything the store owner typed is set with textContent. */
(function (w, d, nav) {
  'use strict';
  var tag = w.StoreChatTag || d.currentScript;
  if (!tag || w.StoreChatWidget) return;
  w.StoreChatWidget = 1;
  var key = tag.dataset.store;
  if (!key) return;
  var api = tag.src.replace(/\/widget[^/]*\.js([?#].*)?$/, '') + '/widget/' + encodeURIComponent(key);
  var html = d.documentElement;
  var mobile = /Android|iPhone|iPad|iPod|Mobi/i.test(nav.userAgent);
  var lang = (html.lang || nav.language || 'en').slice(0, 2).toLowerCase();
  var FIELDS = ['product', 'price', 'sku', 'variant', 'url', 'id'];
  var ICON = 'M12 2a10 10 0 0 0-8.6 15.1L2 22l5-1.3A10 10 0 1 0 12 2zm0 1.8a8.2 8.2 0 1 1-4.2 15.3l-.3-.2-3 .8.8-2.9-.2-.3A8.2 8.2 0 0 1 12 3.8zM8.6 7.2c-.2 0-.5 0-.7.3-.3.3-1 1-1 2.4s1 2.8 1.2 3c.1.2 2 3.1 4.9 4.3 2.4 1 2.9.8 3.4.7.5 0 1.7-.7 1.9-1.4.2-.7.2-1.2.2-1.4l-.5-.3-1.8-.9c-.3-.1-.5-.1-.6.1l-.9 1c-.1.2-.3.2-.6.1a6.7 6.7 0 0 1-3.3-2.9c-.3-.4.2-.4.7-1.3l.1-.5-.8-2c-.2-.6-.5-.5-.7-.5z';

  // Admin preview (designer.js): with data-preview, storechat:preview events' detail is rendered;
  // no fetch, rules, beacons or opt-in. A nonce on the tag goes on the <style> (strict CSPs).
  var preview = 'preview' in tag.dataset;
  if (preview) d.addEventListener('storechat:preview', function (e) { render(e.detail); });
  else fetch(api + '/config.json?lang=' + encodeURIComponent(lang), {credentials: 'omit'})
    .then(function (r) { return r.ok ? r.json() : 0; })
    .then(function (c) { if (c && c.enabled) start(c); })
    .catch(function () {});

  function matches(list, path) {
    return list.some(function (p) {
      return new RegExp('^' + p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*') + '$').test(path);
    });
  }

  function start(c) {
    var path = location.pathname, shown;
    if ((c.show.length && !matches(c.show, path)) || matches(c.hide, path)) return;
    if ((c.devices == 'mobile' && !mobile) || (c.devices == 'desktop' && mobile)) return;
    function show() {
      if (shown) return;
      shown = 1;
      removeEventListener('scroll', scrolled);
      render(c);
    }
    function scrolled() {
      var room = html.scrollHeight - innerHeight;
      if (room <= 0 || scrollY * 100 / room >= c.scroll) show();
    }
    if (c.delay) setTimeout(show, c.delay * 1000);
    if (c.scroll) { addEventListener('scroll', scrolled, {passive: true}); scrolled(); }
    if (!c.delay && !c.scroll) show();
  }

  function isOpen(c) {
    var days = Object.keys(c.hours), off = c.holidays || [], p = {};
    if (!days.length && !off.length) return true;
    try {
      new Intl.DateTimeFormat('en-US', {timeZone: c.tz, weekday: 'short', year: 'numeric',
        month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23'})
        .formatToParts(new Date()).forEach(function (x) { p[x.type] = x.value; });
    } catch (e) { return true; }
    if (off.indexOf(p.year + '-' + p.month + '-' + p.day) >= 0) return false;
    if (!days.length) return true;
    var now = p.hour + ':' + p.minute;
    return (c.hours[p.weekday.toLowerCase()] || []).some(function (s) { return s[0] <= now && now < s[1]; });
  }

  // Product context: window.StoreChatProduct (Shopify app embed), else data-* attributes on
  // the script tag or on an element marked data-storechat-product (WooCommerce, any site).
  function product() {
    var p = w.StoreChatProduct || {}, el = d.querySelector('[data-storechat-product]'), f = {};
    FIELDS.forEach(function (k) {
      var v = p[k] != null ? p[k] : (el && el.dataset[k]) || tag.dataset[k];
      f[k] = v == null ? '' : String(v).trim();
    });
    return f;
  }

  // Lines whose placeholders are all empty are left out ("{variant}" on a simple product).
  function message(c) {
    var f = product();
    f.url = f.url || location.origin + location.pathname;
    return c.message.split('\n').map(function (line) {
      var any = 0, some = 0;
      line = line.replace(/\{(product|price|sku|variant|url)\}/g, function (_, k) {
        some = 1;
        if (f[k]) any = 1;
        return f[k];
      });
      return some && !any ? '' : line.trim();
    }).filter(Boolean).join('\n');
  }

  function link(agent, text) {
    return (mobile ? 'https://wa.me/' + agent.phone + '?text='
      : 'https://web.whatsapp.com/send?phone=' + agent.phone + '&text=') + encodeURIComponent(text);
  }

  function beacon(type) {
    if (preview) return;
    var f = product();
    try {
      nav.sendBeacon(api + '/events', JSON.stringify({t: type, p: location.pathname, s: f.sku || f.id}));
    } catch (e) { /* no beacon support: nothing is counted */ }
  }

  // Analytics only where the page has them, never with a phone number.
  function track() {
    try {
      if (w.dataLayer && w.dataLayer.push) w.dataLayer.push({event: 'storechat_click', method: 'whatsapp'});
      if (typeof w.gtag == 'function') w.gtag('event', 'generate_lead', {method: 'whatsapp'});
      if (typeof w.fbq == 'function') w.fbq('track', 'Contact');
    } catch (e) { /* a broken tag manager must not break the link */ }
    beacon('click');
  }

  function el(name, attrs, text, parent) {
    var e = d.createElement(name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }

  function icon(parent) {
    var ns = 'http://www.w3.org/2000/svg', svg = d.createElementNS(ns, 'svg'), path = d.createElementNS(ns, 'path');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    path.setAttribute('d', ICON);
    svg.appendChild(path);
    parent.appendChild(svg);
  }

  function render(c) {
    var S = c.strings, rtl = c.dir == 'rtl' || getComputedStyle(html).direction == 'rtl';
    var side = (c.position == 'start') == rtl ? 'right' : 'left';
    var color = /^#[0-9a-f]{6}$/i.test(c.color) ? c.color : '#0b7a5c';
    var ink = /^#[0-9a-f]{6}$/i.test(c.text) ? c.text : '#fff';
    var host = el('storechat-widget', {'data-storechat': ''}, '', d.body || html);
    var root = host.attachShadow({mode: 'open'});
    el('style', tag.nonce ? {nonce: tag.nonce} : {}, ':host{all:initial!important;display:block!important;position:fixed!important;z-index:2147483000!important;bottom:20px!important;' + side + ':20px!important;width:60px!important;height:60px!important;margin:0!important;padding:0!important;visibility:visible!important;opacity:1!important;transform:none!important}' +
      '*{box-sizing:border-box;margin:0;padding:0;font:400 15px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#1f2328;letter-spacing:normal;text-transform:none;text-align:start}' +
      'button,a{cursor:pointer}:focus-visible{outline:3px solid #1d4ed8;outline-offset:2px;box-shadow:0 0 0 2px #fff}[hidden]{display:none!important}' +
      '.l{position:absolute;inset:0;width:60px;height:60px;border:0;border-radius:50%;background:' + color + ';display:grid;place-items:center;box-shadow:0 4px 14px rgba(0,0,0,.3)}' +
      'svg{width:32px;height:32px;fill:' + ink + '}' +
      '.p{position:absolute;bottom:74px;' + side + ':0;width:330px;max-width:calc(100vw - 40px);max-height:calc(100vh - 110px);overflow:auto;background:#fff;border-radius:14px;box-shadow:0 10px 34px rgba(0,0,0,.28)}' +
      '.h{background:' + color + ';padding:16px;padding-inline-end:48px;position:relative}.h *{color:' + ink + '}.h b{display:block;font-weight:700;font-size:16px}' +
      '.x{position:absolute;top:10px;inset-inline-end:10px;width:32px;height:32px;border:0;border-radius:50%;background:transparent;font-size:22px;line-height:1;text-align:center}' +
      '.b{padding:12px 16px 16px}.w{background:#fff4e5;color:#5c3b00;border-radius:8px;padding:8px 10px;margin-bottom:10px}' +
      'ul{list-style:none}li{margin:6px 0}.a{display:flex;gap:12px;align-items:center;padding:8px;border-radius:10px;text-decoration:none;background:#f4f6f8}.a:hover{background:#e8ecef}' +
      '.i{flex:none;width:40px;height:40px;border-radius:50%;display:grid;place-items:center;background:' + color + ';color:' + ink + ';font-weight:700;text-align:center}' +
      '.a b{display:block;font-weight:600}small{display:block;font-size:13px;color:#57606a}' +
      'form{margin-top:12px;border-top:1px solid #d0d7de;padding-top:12px;display:grid;gap:8px}label{display:flex;gap:8px;align-items:flex-start}label.t{display:grid;gap:4px}' +
      'input[type=tel]{width:100%;padding:8px;border:1px solid #8c959f;border-radius:6px;background:#fff}input[type=checkbox]{width:18px;height:18px;flex:none;margin-top:2px}' +
      '.s{padding:8px 12px;border:0;border-radius:6px;background:' + color + ';color:' + ink + ';font-weight:600;justify-self:start;text-decoration:none}.hp{position:absolute;left:-9999px;width:1px;height:1px;overflow:hidden}' +
      '.e{color:#b3261e;font-size:13px}.e:empty{display:none}.t [aria-invalid]{border:2px solid #b3261e}', root);
    var launcher = el('button', {type: 'button', 'class': 'l', 'aria-label': c.cta || S.open,
      'aria-expanded': 'false', 'aria-controls': 'scp'}, '', root);
    icon(launcher);
    var panel;

    function open() {
      if (!panel) panel = build();
      panel.hidden = false;
      launcher.setAttribute('aria-expanded', 'true');
      var first = panel.querySelector('.a');
      if (first) first.focus();
      beacon('open');
    }
    function close(refocus) {
      if (!panel || panel.hidden) return;
      panel.hidden = true;
      launcher.setAttribute('aria-expanded', 'false');
      if (refocus) launcher.focus();
    }
    launcher.addEventListener('click', function () {
      if (panel && !panel.hidden) close(); else open();
    });
    d.addEventListener('keydown', function (e) {
      if (e.key == 'Escape' && panel && !panel.hidden) close(d.activeElement == host);
    });
    d.addEventListener('click', function (e) {
      if (e.composedPath().indexOf(host) < 0) close();
    });

    // The panel is built on first use only.
    function build() {
      var p = el('div', {'class': 'p', id: 'scp', role: 'dialog', 'aria-labelledby': 'sct', dir: rtl ? 'rtl' : 'ltr', lang: c.lang}, '', root);
      var head = el('div', {'class': 'h'}, '', p);
      el('b', {id: 'sct'}, c.name || c.cta || S.open, head);
      el('p', {}, c.greeting || S.greeting, head);
      el('button', {type: 'button', 'class': 'x', 'aria-label': S.close}, '\u00d7', head)
        .addEventListener('click', function () { close(1); });
      var body = el('div', {'class': 'b'}, '', p);
      if (!isOpen(c)) el('p', {'class': 'w', role: 'note'}, c.away || S.away, body);
      var list = el('ul', {}, '', body);
      c.agents.forEach(function (agent) {
        var a = el('a', {'class': 'a', target: '_blank', rel: 'noopener noreferrer'}, '', el('li', {}, '', list));
        var refresh = function () { a.href = link(agent, message(c)); };
        el('span', {'class': 'i', 'aria-hidden': 'true'}, Array.from(agent.name || '?')[0].toUpperCase(), a);
        var who = el('span', {}, '', a);
        el('b', {}, agent.name || c.cta || S.open, who);
        if (agent.role) el('small', {}, agent.role, who);
        refresh();
        a.addEventListener('focus', refresh);
        a.addEventListener('mouseenter', refresh);
        a.addEventListener('click', function () { refresh(); track(); });
      });
      if (c.optin) optin(c, S, body);
      return p;
    }
  }

  // The opt-in form. Each field's error sits under it, tied to it with aria-describedby;
  // a refusal (here or from the server, which knows the store's country) marks the fields
  // aria-invalid and focuses the first. Success offers the chat that confirms the opt-in.
  function optin(c, S, body) {
    var form = el('form', {novalidate: ''}, '', body);
    el('input', {type: 'tel', name: 'phone', autocomplete: 'tel', required: '',
      'aria-describedby': 'sce-phone'}, '', el('label', {'class': 't'}, S.phone, form));
    var errs = {phone: el('p', {'class': 'e', id: 'sce-phone'}, '', form)};
    var hp = el('div', {'class': 'hp', 'aria-hidden': 'true'}, '', form);
    el('input', {type: 'text', name: 'website', tabindex: '-1', autocomplete: 'off'}, '', hp);
    var consent = el('label', {}, '', form);
    el('input', {type: 'checkbox', name: 'consent', value: '1', required: '',
      'aria-describedby': 'sce-consent'}, '', consent);
    el('span', {}, c.optin.text, consent);
    errs.consent = el('p', {'class': 'e', id: 'sce-consent'}, '', form);
    var send = el('button', {type: 'submit', 'class': 's'}, S.subscribe, form);
    var status = el('p', {role: 'status'}, '', form);
    // A config cached from before a deploy may lack the newer words: fall back to older ones.
    var chat = el('a', {'class': 's', target: '_blank', rel: 'noopener noreferrer', hidden: ''}, S.confirm || S.open, form);
    function mark(name, code) {
      errs[name].textContent = code ? S[code] || S.invalid : '';
      form[name][code ? 'setAttribute' : 'removeAttribute']('aria-invalid', 'true');
    }
    // Shows every field's error (none: cleared); focuses and returns the first wrong field.
    function show(fields) {
      var first;
      for (var name in errs) {
        mark(name, fields[name]);
        first = first || fields[name] && form[name];
      }
      if (first) first.focus();
      return first;
    }
    // Changing a field clears its error (the honeypot has none).
    form.addEventListener('input', function (e) { if (errs[e.target.name]) mark(e.target.name); });
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      if (preview) return;
      status.textContent = '';
      if (show({phone: !form.phone.value.trim() && 'phone_missing', consent: !form.consent.checked && 'consent_missing'})) return;
      var data = new URLSearchParams(new FormData(form));
      data.set('sku', product().sku || product().id);
      data.set('page', location.pathname);
      send.disabled = true;
      // A 429 (its body is empty, not JSON) and a network error both end in the catch.
      fetch(api + '/optin', {method: 'POST', body: data, credentials: 'omit'}).then(function (r) {
        return r.json().then(function (answer) {
          send.disabled = r.ok;
          if (r.ok) {
            status.textContent = S.thanks;
            if (answer.wa) {
              // Done with the form: the way on is the chat that confirms the opt-in.
              chat.href = 'https://wa.me/' + answer.wa + '?text=' + encodeURIComponent(S.confirm_text || '');
              chat.hidden = false;
              send.hidden = true;
              chat.focus();
            }
          } else if (!show(answer.fields || {})) status.textContent = S.invalid;
        });
      }).catch(function () { status.textContent = S.later; send.disabled = false; });
    });
  }
})(window, document, navigator);

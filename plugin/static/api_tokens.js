// Settings → API tokens: copy the new token with one click. Without JavaScript the token
// is still selectable in its read-only field, so the button stays hidden until it works.
(function () {
  "use strict";
  var button = document.querySelector("[data-copy]");
  if (!button || !navigator.clipboard) return;
  var field = document.getElementById(button.getAttribute("data-copy"));
  var status = document.getElementById("copy-status");
  button.hidden = false;
  field.addEventListener("focus", function () { field.select(); });
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(field.value).then(function () {
      status.textContent = "Copied. Keep it somewhere safe, such as a password manager.";
    }, function () {
      field.select();
      status.textContent = "Copying was not allowed here: press Ctrl+C (⌘C) to copy the selected token.";
    });
  });
})();

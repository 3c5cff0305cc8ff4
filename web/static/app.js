// The console's only script: it fills /verify from its #fragment, copies
// text for [data-copy] buttons and asks before [data-confirm] forms are
// sent. Every page works without it.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var token = document.getElementById("token");
  var form = document.getElementById("verify-form");
  if (token && form && location.hash.length > 1 && !token.value) {
    token.value = decodeURIComponent(location.hash.slice(1));
    history.replaceState(null, "", location.pathname + location.search);
    form.submit();
  }
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var source = document.getElementById(button.getAttribute("data-copy"));
      if (!source || !navigator.clipboard) { return; }
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        button.textContent = button.getAttribute("data-copied") || "✓";
      });
    });
  });
  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      if (!window.confirm(f.getAttribute("data-confirm"))) { e.preventDefault(); }
    });
  });
});

// The workspace edit form, enhanced: the date field says how it is read as the archivist types
// (GET /api/dates, the same reader a save uses), so 清代 shows 1644–1912 before saving, and a
// date that cannot be read says why at once. Without this script the form says so after saving.
(function () {
  "use strict";
  var field = document.getElementById("date");
  var help = document.getElementById("date-understood");
  if (!field || !help || !window.fetch) return;
  var lang = document.documentElement.lang.indexOf("zh") === 0 ? "zh" : "en";
  var timer = null;
  var asked = 0;

  function show(text, bad) {
    help.textContent = text;
    help.classList.toggle("field-help--error", bad);
  }

  function ask() {
    var text = field.value.trim();
    var mine = ++asked;
    if (!text) return;
    fetch("/api/dates?lang=" + lang + "&text=" + encodeURIComponent(text), {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (answer) {
        return answer.json().then(function (body) { return { ok: answer.ok, body: body }; });
      })
      .then(function (got) {
        if (mine !== asked) return; // a later keystroke has asked again
        if (got.ok) show(got.body.understood, false);
        else show(got.body.error.message, true);
      })
      .catch(function () { /* offline: the save will say */ });
  }

  field.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(ask, 250);
  });
})();

// The workspace upload form, enhanced: the same multipart POST sent with XMLHttpRequest so the
// page shows how much has been sent; files picked in a folder keep their folder in their names.
// Without this script the form posts as it is and the server answers with the job's page.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.FormData || !window.XMLHttpRequest) return;
  var bar = document.getElementById("upload-progress");
  var text = document.getElementById("upload-progress-text");
  var error = document.getElementById("upload-error");
  var button = form.querySelector("button[type=submit]");

  function body() {
    var data = new FormData();
    var token = form.elements.namedItem("csrf_token").value;
    data.append("csrf_token", token);
    ["collection", "status", "access"].forEach(function (name) {
      var field = form.elements.namedItem(name);
      if (field && field.value) data.append(name, field.value);
    });
    var preview = form.elements.namedItem("dry_run");
    if (preview && preview.checked) data.append("dry_run", preview.value);
    form.querySelectorAll("input[type=file][name=files]").forEach(function (input) {
      Array.prototype.forEach.call(input.files, function (file) {
        data.append("files", file, file.webkitRelativePath || file.name);
      });
    });
    var manifest = form.elements.namedItem("manifest");
    if (manifest.files.length) data.append("manifest", manifest.files[0]);
    return { data: data, token: token };
  }

  function fail(message) {
    error.textContent = message;
    error.hidden = false;
    text.hidden = true;
    bar.hidden = true;
    button.disabled = false;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var sent = body();
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-CSRF-Token", sent.token);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (progress) {
      if (!progress.lengthComputable) return;
      var percent = Math.round((100 * progress.loaded) / progress.total);
      bar.value = percent;
      text.textContent = text.dataset.sending.replace("{percent}", percent);
    });
    xhr.addEventListener("load", function () {
      if (xhr.status < 400 && xhr.responseURL) {
        window.location.assign(xhr.responseURL);  // the job's page, after the 303
        return;
      }
      var message = text.dataset.failed + " (" + xhr.status + ")";
      try {
        message = JSON.parse(xhr.responseText).error.message;
      } catch (ignored) { /* not our JSON: keep the status */ }
      fail(message);
    });
    xhr.addEventListener("error", function () { fail(text.dataset.failed); });
    error.hidden = true;
    bar.hidden = false;
    bar.value = 0;
    text.hidden = false;
    text.textContent = text.dataset.sending.replace("{percent}", 0);
    button.disabled = true;
    xhr.send(sent.data);
  });
})();

// The workspace upload form, enhanced. With tus-js-client (vendor/tus-js-client, tus 1.0 at
// /api/uploads/) each file is sent resumably, one after another, with a progress bar of its own:
// a dropped connection resumes from the last byte the server kept (when the browser is back
// online, or with the Resume button), and choosing the same files again after a reload resumes
// them too. When every file is in, the form is sent with the upload ids in `uploads` (and the
// manifest), and the server answers with the job's page. Without tus support the same multipart
// POST is sent with XMLHttpRequest to show one progress bar; without scripts the form posts as
// it is. Files picked in a folder keep their folder in their names.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.FormData || !window.XMLHttpRequest) return;
  var bar = document.getElementById("upload-progress");
  var text = document.getElementById("upload-progress-text");
  var error = document.getElementById("upload-error");
  var list = document.getElementById("upload-files");
  var resumeButton = document.getElementById("upload-resume");
  var button = form.querySelector("button[type=submit]");
  var token = form.elements.namedItem("csrf_token").value;
  var tus = window.tus;
  var resumable = !!(tus && tus.isSupported && list && resumeButton);
  var finished = {};  // fingerprint -> id of an upload finished on this page (a refused batch)
  var current = null;  // the tus upload being sent
  var waiting = null;  // the timer of an automatic resume

  function chosen() {
    var files = [];
    form.querySelectorAll("input[type=file][name=files]").forEach(function (input) {
      Array.prototype.forEach.call(input.files, function (file) {
        files.push({ file: file, name: file.webkitRelativePath || file.name });
      });
    });
    return files;
  }

  function fields(data) {
    data.append("csrf_token", token);
    ["collection", "status", "access"].forEach(function (name) {
      var field = form.elements.namedItem(name);
      if (field && field.value) data.append(name, field.value);
    });
    var preview = form.elements.namedItem("dry_run");  // "preview only"
    if (preview && preview.checked) data.append("dry_run", preview.value);
  }

  function withManifest(data) {
    var manifest = form.elements.namedItem("manifest");
    if (manifest.files.length) data.append("manifest", manifest.files[0]);
    return data;
  }

  function serverMessage(status, body, fallback) {
    try {
      return JSON.parse(body).error.message;
    } catch (ignored) {
      return fallback + (status ? " (" + status + ")" : "");
    }
  }

  function fail(message) {
    error.textContent = message;
    error.hidden = false;
    text.hidden = true;
    bar.hidden = true;
    if (resumeButton) resumeButton.hidden = true;
    button.disabled = false;
  }

  function say(message) {
    text.hidden = false;
    text.textContent = message;
  }

  // The form itself: the batch (multipart), answered with a 303 to the job's page.
  function post(data, onProgress) {
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-CSRF-Token", token);
    xhr.setRequestHeader("Accept", "application/json");
    if (onProgress) {
      xhr.upload.addEventListener("progress", function (progress) {
        if (progress.lengthComputable) onProgress(progress.loaded, progress.total);
      });
    }
    xhr.addEventListener("load", function () {
      if (xhr.status < 400 && xhr.responseURL) {
        window.location.assign(xhr.responseURL);  // the job's page, after the 303
        return;
      }
      fail(serverMessage(xhr.status, xhr.responseText, text.dataset.failed));
    });
    xhr.addEventListener("error", function () { fail(text.dataset.failed); });
    xhr.send(data);
  }

  function sendWhole() {
    var data = new FormData();
    fields(data);
    chosen().forEach(function (entry) { data.append("files", entry.file, entry.name); });
    bar.hidden = false;
    bar.value = 0;
    say(text.dataset.sending.replace("{percent}", 0));
    post(withManifest(data), function (loaded, total) {
      var percent = Math.round((100 * loaded) / total);
      bar.value = percent;
      text.textContent = text.dataset.sending.replace("{percent}", percent);
    });
  }

  // One row of the list: the file's name, its bar and what is happening to it.
  function row(entry) {
    var item = document.createElement("li");
    var name = document.createElement("span");
    var progress = document.createElement("progress");
    var state = document.createElement("span");
    item.className = "upload-files__item";
    item.dataset.state = "waiting";
    name.className = "upload-files__name";
    name.textContent = entry.name;
    progress.max = 100;
    progress.value = 0;
    state.className = "upload-files__state";
    state.textContent = list.dataset.waiting;
    item.append(name, progress, state);
    list.append(item);
    return {
      show: function (kind, message, percent) {
        item.dataset.state = kind;
        state.textContent = message;
        if (percent !== undefined) progress.value = percent;
      },
    };
  }

  function fingerprint(entry) {
    var file = entry.file;
    return ["heritage", entry.name, file.size, file.lastModified, location.origin].join("|");
  }

  function resume() {
    window.clearTimeout(waiting);
    waiting = null;
    resumeButton.hidden = true;
    if (current) current.start();  // HEAD for the offset, then PATCH from there
  }

  window.addEventListener("online", function () { if (waiting !== null) resume(); });
  if (resumeButton) resumeButton.addEventListener("click", resume);

  function sendResumably(files) {
    var rows = files.map(row);
    var ids = [];
    var chunk = Number(form.dataset.chunkBytes) || 8 * 1024 * 1024;
    var index = 0;
    list.hidden = false;

    function next() {
      if (index === files.length) {
        var data = new FormData();
        fields(data);
        ids.forEach(function (id) { data.append("uploads", id); });
        say(list.dataset.submitting);
        post(withManifest(data));
        return;
      }
      var entry = files[index];
      var shown = rows[index];
      var key = fingerprint(entry);
      if (finished[key]) {
        ids.push(finished[key]);
        shown.show("done", list.dataset.done, 100);
        index += 1;
        next();
        return;
      }
      var upload = new tus.Upload(entry.file, {
        endpoint: "/api/uploads/",
        chunkSize: chunk,
        retryDelays: [0, 1000, 3000, 5000],
        metadata: { filename: entry.name, filetype: entry.file.type || "application/octet-stream" },
        headers: { "X-CSRF-Token": token },
        fingerprint: function () { return Promise.resolve(key); },
        removeFingerprintOnSuccess: false,  // a refused batch: the finished upload is reused
        onProgress: function (sent, total) {
          var percent = total ? Math.floor((100 * sent) / total) : 100;
          shown.show("sending", percent + "%", percent);
        },
        onSuccess: function () {
          var id = upload.url.split("/").pop();
          finished[key] = id;
          ids.push(id);
          shown.show("done", list.dataset.done, 100);
          index += 1;
          next();
        },
        onError: function (err) {
          var response = err.originalResponse;
          var status = response ? response.getStatus() : 0;
          if (status === 0 || status >= 500 || status === 409 || status === 423) {
            shown.show("paused", list.dataset.paused);  // the network: resume when it is back
            resumeButton.hidden = false;
            waiting = window.setTimeout(resume, navigator.onLine ? 10000 : 2147483647);
            return;
          }
          var message = serverMessage(status, response ? response.getBody() : "", text.dataset.failed);
          shown.show("failed", message);
          fail(entry.name + ": " + message);
        },
      });
      current = upload;
      shown.show("sending", "0%", 0);
      upload.findPreviousUploads().catch(function () {
        return [];  // no localStorage here: nothing to resume from, start afresh
      }).then(function (previous) {
        if (previous.length) upload.resumeFromPreviousUpload(previous[0]);
        upload.start();
      });
    }
    next();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    error.hidden = true;
    button.disabled = true;
    var files = chosen();
    if (!resumable || !files.length) {
      sendWhole();  // nothing to resume (or no tus here): the server says what is missing
      return;
    }
    text.hidden = true;
    bar.hidden = true;
    list.textContent = "";
    sendResumably(files);
  });
})();

/* The contribution form's proof of work: find a counter whose SHA-256 over
   "<challenge>:<counter>" starts with `data-bits` zero bits, then send the form. Written here
   (no library): a small synchronous SHA-256, run in slices so the page stays responsive.
   Without scripts the form shows a question instead.
   With tus-js-client (vendored), each file goes first as a resumable upload to
   /contribute/uploads/ (a dropped mobile connection resumes), and the form names them in
   `uploads`; if that fails, the form is sent with its files as plain multipart, whose answer
   says what is wrong in the visitor's language. */
(function () {
  "use strict";
  var form = document.getElementById("contribute-form");
  if (!form || !window.TextEncoder) return;
  var K = [0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7,
    0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc,
    0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351,
    0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e,
    0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585,
    0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
    0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2];
  var W = new Int32Array(64);

  var M = new Uint8Array(256); // the padded message, reused: no allocation per hash
  var H = new Int32Array(8);

  function sha256(bytes, n) { // the first n bytes -> H, the digest as big-endian words
    var blocks = ((n + 9 + 63) >> 6) << 6;
    if (blocks > M.length) M = new Uint8Array(blocks);
    M.set(n === bytes.length ? bytes : bytes.subarray(0, n));
    M.fill(0, n, blocks);
    M[n] = 0x80;
    var bits = n * 8;
    M[blocks - 4] = bits >>> 24; M[blocks - 3] = bits >>> 16; M[blocks - 2] = bits >>> 8; M[blocks - 1] = bits;
    H[0] = 0x6a09e667; H[1] = 0xbb67ae85; H[2] = 0x3c6ef372; H[3] = 0xa54ff53a;
    H[4] = 0x510e527f; H[5] = 0x9b05688c; H[6] = 0x1f83d9ab; H[7] = 0x5be0cd19;
    for (var off = 0; off < blocks; off += 64) {
      for (var i = 0; i < 16; i++) {
        var j = off + i * 4;
        W[i] = (M[j] << 24) | (M[j + 1] << 16) | (M[j + 2] << 8) | M[j + 3];
      }
      for (i = 16; i < 64; i++) {
        var a0 = W[i - 15], a1 = W[i - 2];
        var s0 = ((a0 >>> 7) | (a0 << 25)) ^ ((a0 >>> 18) | (a0 << 14)) ^ (a0 >>> 3);
        var s1 = ((a1 >>> 17) | (a1 << 15)) ^ ((a1 >>> 19) | (a1 << 13)) ^ (a1 >>> 10);
        W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0;
      }
      var a = H[0], b = H[1], c = H[2], d = H[3], e = H[4], f = H[5], g = H[6], k = H[7];
      for (i = 0; i < 64; i++) {
        var S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
        var t1 = (k + S1 + ((e & f) ^ (~e & g)) + K[i] + W[i]) | 0;
        var S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        var t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
        k = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      H[0] += a; H[1] += b; H[2] += c; H[3] += d; H[4] += e; H[5] += f; H[6] += g; H[7] += k;
    }
    return H;
  }

  function zeroBits(h) {
    var count = 0;
    for (var i = 0; i < 8; i++) {
      if (h[i] === 0) { count += 32; continue; }
      return count + Math.clz32(h[i]);
    }
    return count;
  }

  var bits = parseInt(form.getAttribute("data-bits"), 10) || 0;
  var challenge = form.elements.challenge.value;
  var work = document.getElementById("contribute-work");
  var question = document.getElementById("contribute-question");
  var working = document.getElementById("contribute-working");
  var encoder = new TextEncoder();
  question.hidden = true; // the script answers the challenge; the question is the no-script way

  function solve(done) {
    var prefix = encoder.encode(challenge + ":");
    var buffer = new Uint8Array(prefix.length + 16); // the prefix, then the counter's digits
    buffer.set(prefix);
    var counter = 0;
    (function slice() {
      for (var end = counter + 50000; counter < end; counter++) {
        var digits = String(counter), n = prefix.length;
        for (var i = 0; i < digits.length; i++) buffer[n++] = digits.charCodeAt(i);
        if (zeroBits(sha256(buffer, n)) >= bits) {
          done(String(counter));
          return;
        }
      }
      setTimeout(slice, 0);
    })();
  }

  var input = document.getElementById("contribute-files");
  var waiting = working.textContent;

  function sendResumable(done) {
    var files = Array.prototype.slice.call(input.files || []);
    if (!window.tus || !window.tus.isSupported || !files.length) { done(null); return; }
    var ids = [], index = 0;
    (function next() {
      if (index >= files.length) { done(ids); return; }
      var file = files[index];
      var upload = new window.tus.Upload(file, {
        endpoint: "/contribute/uploads/",
        chunkSize: 4 * 1024 * 1024,
        retryDelays: [0, 1000, 3000, 5000, 10000, 20000, 30000],
        metadata: { filename: file.name, filetype: file.type || "application/octet-stream" },
        headers: { "X-CSRF-Token": form.elements.csrf_token.value },
        onProgress: function (sent, total) {
          var percent = total ? Math.floor((100 * sent) / total) : 100;
          working.textContent = waiting + " " + file.name + " " + percent + "%";
        },
        onSuccess: function () {
          ids.push(upload.url.split("/").pop());
          index += 1;
          next();
        },
        onError: function () { done(null); }  // the plain form's answer names the problem
      });
      upload.start();
    })();
  }

  form.addEventListener("submit", function (event) {
    if (work.value) return;
    event.preventDefault();
    if (!form.reportValidity()) return;
    working.hidden = false;
    form.querySelector("button[type=submit]").disabled = true;
    solve(function (counter) {
      work.value = counter;
      sendResumable(function (ids) {
        if (ids) {
          ids.forEach(function (id) {
            var field = document.createElement("input");
            field.type = "hidden";
            field.name = "uploads";
            field.value = id;
            form.appendChild(field);
          });
          input.disabled = true;  // the files went ahead: the form names them
        }
        form.submit();
      });
    });
  });
})();

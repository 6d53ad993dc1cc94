/* Captions on the item page: a click on a transcript cue, or a page address ending in #t=SECONDS
 * (what a search hit in caption text links to), moves the player to that time and plays; the
 * cue being spoken is marked as the player goes. Without JavaScript the cues are plain text and
 * the browser still shows the <track>s.
 */
(() => {
  "use strict";

  const transcript = document.querySelector(".transcript");
  const player =
    document.getElementById(transcript ? transcript.dataset.player : "video-player") ||
    document.getElementById("video-player") ||
    document.getElementById("audio-player");
  if (!player) return;
  const cues = transcript ? [...transcript.querySelectorAll(".transcript__cue")] : [];

  function seek(seconds) {
    if (!Number.isFinite(seconds) || seconds < 0) return;
    const go = () => {
      player.currentTime = seconds;
      const playing = player.play();
      if (playing) playing.catch(() => {}); // autoplay refused: the player waits at the time
    };
    if (player.readyState >= 1) go();
    else player.addEventListener("loadedmetadata", go, { once: true });
  }

  function fromHash() {
    const match = /^#t=(\d+(?:\.\d+)?)$/.exec(location.hash);
    if (match) seek(parseFloat(match[1]));
  }

  for (const cue of cues) {
    cue.addEventListener("click", (event) => {
      event.preventDefault();
      history.replaceState(null, "", cue.getAttribute("href"));
      seek(parseFloat(cue.dataset.start));
    });
  }

  let current = null;
  player.addEventListener("timeupdate", () => {
    const now = player.currentTime;
    let found = null;
    for (const cue of cues) {
      if (parseFloat(cue.dataset.start) <= now + 0.05) found = cue;
      else break;
    }
    if (found === current) return;
    if (current) current.removeAttribute("aria-current");
    if (found) found.setAttribute("aria-current", "true");
    current = found;
  });

  window.addEventListener("hashchange", fromHash);
  fromHash();
})();

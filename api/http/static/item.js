/* The item page, enhanced: a zoomable image (OpenSeadragon over the IIIF Image API when the
 * server offers it, else over the access copy) and the share-link form. Without JavaScript the
 * page shows the plain image and links instead.
 */
(() => {
  "use strict";

  const config = JSON.parse(document.getElementById("item-config").textContent);
  const msg = config.messages;
  const viewerNode = document.getElementById("viewer");

  // ---- zoomable image ---------------------------------------------------------------------

  // The info.json names its service by the server's configured public URL; tiles are fetched
  // from the origin that served this page, so the viewer works behind any host name or port.
  async function iiifSource(infoUrl) {
    const response = await fetch(infoUrl, { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`info.json: HTTP ${response.status}`);
    const info = await response.json();
    const id = new URL(info.id || info["@id"], location.href);
    const local = location.origin + id.pathname;
    if ("id" in info) info.id = local;
    else info["@id"] = local;
    return info;
  }

  function imageSource(url) {
    return { type: "image", url, buildPyramid: false };
  }

  async function sourceFor(infoUrl, imageUrl) {
    if (infoUrl) {
      try {
        return await iiifSource(infoUrl);
      } catch (error) {
        console.warn("IIIF image service unavailable; using the access copy", error);
      }
    }
    return imageSource(imageUrl);
  }

  async function startViewer() {
    if (!viewerNode || !window.OpenSeadragon) return;
    const tools = document.getElementById("viewer-tools");
    const source = await sourceFor(viewerNode.dataset.info, viewerNode.dataset.image);
    viewerNode.classList.add("is-zoomable"); // the plain image steps aside before the viewer measures
    const viewer = window.OpenSeadragon({
      element: viewerNode,
      prefixUrl: viewerNode.dataset.prefix,
      tileSources: source,
      showNavigationControl: true,
      zoomInButton: "zoom-in",
      zoomOutButton: "zoom-out",
      homeButton: "zoom-home",
      fullPageButton: "zoom-full",
      showNavigator: false,
      visibilityRatio: 0.8,
      minZoomImageRatio: 0.8,
      maxZoomPixelRatio: 3,
      gestureSettingsMouse: { clickToZoom: false },
      crossOriginPolicy: false,
      drawer: "canvas", // plain 2D canvas: works where WebGL is missing or software-emulated
    });
    window.heritageViewer = viewer; // for the browser tests and curious visitors
    viewer.addHandler("open", () => {
      tools.hidden = false;
    });
    viewer.addHandler("open-failed", () => {
      viewer.destroy();
      viewerNode.classList.remove("is-zoomable");
      const note = document.createElement("p");
      note.className = "notice";
      note.textContent = msg.viewer_failed;
      viewerNode.after(note);
    });
    // The canvas takes keyboard focus (arrows pan, +/- zoom); say what it is.
    const canvas = viewerNode.querySelector(".openseadragon-canvas");
    const fallback = viewerNode.querySelector("img");
    if (canvas && fallback) {
      canvas.setAttribute("role", "img");
      canvas.setAttribute("aria-label", fallback.alt);
    }
  }

  // ---- share link -------------------------------------------------------------------------

  function wireShare() {
    const share = document.getElementById("share");
    if (!share) return;
    share.hidden = false;
    const form = document.getElementById("share-form");
    const result = document.getElementById("share-result");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const key = document.getElementById("share-key").value.trim();
      const days = Number(document.getElementById("share-days").value);
      result.replaceChildren();
      try {
        const response = await fetch(share.dataset.url, {
          method: "POST",
          headers: { "Content-Type": "application/json", "X-API-Key": key },
          body: JSON.stringify({ expires_in: days * 86400 }),
        });
        const body = await response.json().catch(() => ({}));
        if (!response.ok) {
          const reason = (body.error && body.error.message) || `HTTP ${response.status}`;
          result.textContent = `${msg.share_failed} ${reason}`;
          return;
        }
        const link = document.createElement("a");
        link.href = body.url;
        link.textContent = body.url;
        link.rel = "noreferrer";
        const copy = document.createElement("button");
        copy.type = "button";
        copy.className = "button button--quiet";
        copy.textContent = msg.share_copy;
        copy.addEventListener("click", async () => {
          await navigator.clipboard.writeText(body.url);
          copy.textContent = msg.share_copied;
        });
        result.append(`${msg.share_ok} `, link, " ", copy);
      } catch (error) {
        result.textContent = `${msg.share_failed} ${error.message}`;
      } finally {
        document.getElementById("share-key").value = "";
      }
    });
  }

  startViewer();
  wireShare();
})();

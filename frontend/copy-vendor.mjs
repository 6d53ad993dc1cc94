// Copies the pinned browser libraries from node_modules into api/static/vendor/, where the
// catalogue serves them (no CDN: the catalogue must work on a closed network). The copies are
// committed, so running the server or the tests never needs npm.
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const vendor = join(here, "..", "api", "http", "static", "vendor");

const packages = [
  {
    name: "openseadragon",
    files: [
      ["build/openseadragon/openseadragon.min.js", "openseadragon.min.js"],
      ["build/openseadragon/images", "images"],
      ["LICENSE.txt", "LICENSE.txt"],
    ],
  },
  {
    name: "tus-js-client",  // the workspace upload page's resumable uploads (tus 1.0)
    files: [
      ["dist/tus.min.js", "tus.min.js"],
      ["LICENSE", "LICENSE.txt"],
    ],
  },
  {
    name: "leaflet",  // the map page (/map): province outlines shipped with the site, no tiles
    files: [
      ["dist/leaflet.js", "leaflet.js"],
      ["dist/leaflet.css", "leaflet.css"],
      ["dist/images", "images"],
      ["LICENSE", "LICENSE.txt"],
    ],
  },
  {
    name: "leaflet.markercluster",  // the map page's clusters
    files: [
      ["dist/leaflet.markercluster.js", "leaflet.markercluster.js"],
      ["dist/MarkerCluster.css", "MarkerCluster.css"],
      ["dist/MarkerCluster.Default.css", "MarkerCluster.Default.css"],
      ["MIT-LICENCE.txt", "LICENSE.txt"],
    ],
  },
];

for (const { name, files } of packages) {
  const source = join(here, "node_modules", name);
  const meta = JSON.parse(readFileSync(join(source, "package.json"), "utf8"));
  const target = join(vendor, name);
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  for (const [from, to] of files) {
    cpSync(join(source, from), join(target, to), { recursive: true });
  }
  const about = { name, version: meta.version, license: meta.license, homepage: meta.homepage };
  writeFileSync(join(target, "VENDORED.json"), JSON.stringify(about, null, 2) + "\n");
  console.log(`${name} ${meta.version} (${meta.license}) -> ${target}: ${readdirSync(target).join(", ")}`);
}

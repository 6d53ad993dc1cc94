#!/usr/bin/env bash
# Install the Debian packages heritage needs: ffmpeg/ffprobe (transcoding) and Chromium
# (the catalogue page's browser tests). Skips what is already there, so a warm machine pays nothing.
set -euo pipefail

missing=()
command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || missing+=(ffmpeg)
command -v chromium >/dev/null || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "system-deps: need root or sudo to apt-get install ${missing[*]}" >&2; exit 2; }
  SUDO=sudo
fi
echo "system-deps: installing ${missing[*]} (apt-get)"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

#!/usr/bin/env bash
# Install the Debian packages heritage needs: ffmpeg/ffprobe (transcoding), Chromium
# (the catalogue page's browser tests) and Redis (the queue's broker in the tests). Skips what
# is already there, so a warm machine pays nothing.
set -euo pipefail

missing=()
command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || missing+=(ffmpeg)
command -v chromium >/dev/null || missing+=(chromium)
fc-list ':lang=zh' family 2>/dev/null | grep -q . || missing+=(fonts-noto-cjk)  # CJK in screenshots
ldconfig -p | grep -q libmagic.so.1 || missing+=(libmagic1)  # python-magic (iiif-validator)
command -v redis-server >/dev/null || missing+=(redis-server)  # the queue's broker (services.sh)
# The OCR stage (ingest/ocr.py): Tesseract with its Chinese (and vertical) and English models.
# `--ocr` is still accepted (it was needed for bench/bench_ocr.py); they are always installed.
command -v tesseract >/dev/null || missing+=(tesseract-ocr)
for model in chi-sim chi-tra chi-sim-vert chi-tra-vert eng; do
  dpkg -s "tesseract-ocr-$model" >/dev/null 2>&1 || missing+=("tesseract-ocr-$model")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "system-deps: need root or sudo to apt-get install ${missing[*]}" >&2; exit 2; }
  SUDO=sudo
fi
echo "system-deps: installing ${missing[*]} (apt-get)"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

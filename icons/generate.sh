#!/usr/bin/env bash
# Regenerates the bundled icons from icon.svg (needs librsvg2-bin, imagemagick, icnsutils).
set -euo pipefail
cd "$(dirname "$0")"
for s in 32 128 256 512; do rsvg-convert -w $s -h $s icon.svg -o tmp-$s.png; done
cp tmp-32.png 32x32.png
cp tmp-128.png 128x128.png
cp tmp-256.png 128x128@2x.png
cp tmp-512.png icon.png
/usr/bin/convert tmp-32.png tmp-128.png tmp-256.png -define png:color-type=6 icon.ico
png2icns icon.icns tmp-32.png tmp-128.png tmp-256.png tmp-512.png >/dev/null
rm -f tmp-*.png

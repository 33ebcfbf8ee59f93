#!/usr/bin/env bash
# Build dcreview.app and a DMG on a macOS runner; sign and notarise when credentials are set.
#   packaging/build_macos.sh
# Credentials (placeholders; set as CI secrets, never committed):
#   MACOS_SIGN_IDENTITY   "Developer ID Application: <Organisation> (<TEAMID>)"
#   MACOS_NOTARY_PROFILE  a `xcrun notarytool store-credentials` profile name
# Not runnable on the Linux development machines; CI runs it (.github/workflows/installers.yml).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$ROOT/dist}
WORK=$ROOT/build/macos
export PYTHONHASHSEED=0
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$ROOT" log -1 --format=%ct)}
python3.11 -m venv --clear "$WORK/venv"
PY=$WORK/venv/bin/python
"$PY" -m pip install --require-hashes --no-deps -r "$ROOT/packaging/locks/macos-arm64.txt"
"$PY" -m pip install --require-hashes --no-deps -r "$ROOT/packaging/locks/build-tools-macos.txt"
"$PY" -m pip install --no-deps "$ROOT"
VERSION=$("$PY" -c "import inference; print(inference.__version__)")
"$PY" -m PyInstaller --noconfirm --clean --distpath "$WORK/dist" --workpath "$WORK/pyi" \
    "$ROOT/packaging/dcreview.spec"
APP=$WORK/dcreview.app
rm -rf "$APP"
mkdir -p "$APP/Contents/MacOS" "$APP/Contents/Resources"
cp -R "$WORK/dist/dcreview/" "$APP/Contents/MacOS/"
sed "s/@VERSION@/$VERSION/g" "$ROOT/packaging/macos/Info.plist" > "$APP/Contents/Info.plist"
QT_QPA_PLATFORM=offscreen "$APP/Contents/MacOS/dcreview" --smoke-test
if [ -n "${MACOS_SIGN_IDENTITY:-}" ]; then
    codesign --force --deep --options runtime --timestamp \
        --entitlements "$ROOT/packaging/macos/entitlements.plist" \
        --sign "$MACOS_SIGN_IDENTITY" "$APP"
fi
mkdir -p "$OUT"
DMG=$OUT/dcreview-$VERSION-macos-arm64.dmg
hdiutil create -volname "dcreview $VERSION" -srcfolder "$APP" -ov -format UDZO "$DMG"
if [ -n "${MACOS_NOTARY_PROFILE:-}" ]; then
    xcrun notarytool submit "$DMG" --keychain-profile "$MACOS_NOTARY_PROFILE" --wait
    xcrun stapler staple "$DMG"
fi
"$PY" -m cyclonedx_py requirements "$ROOT/packaging/locks/macos-arm64.txt" \
    --output-reproducible --of JSON -o "$OUT/dcreview-$VERSION-macos-arm64.cdx.json"
(cd "$OUT" && shasum -a 256 "$(basename "$DMG")" "dcreview-$VERSION-macos-arm64.cdx.json" \
    > SHA256SUMS)

#!/usr/bin/env bash
# Build the Linux release: one-folder bundle, .tar.gz, .deb, CycloneDX SBOM and SHA256SUMS.
#
#   packaging/build_linux.sh                 # fresh build venv from locks/linux-cpu.txt
#   VARIANT=cuda packaging/build_linux.sh    # onnxruntime-gpu build (separate environment)
#   PYTHON=.venv/bin/python packaging/build_linux.sh   # reuse an environment (tests do this)
#
# Output goes to $OUT (default dist/). Reproducible: file times come from SOURCE_DATE_EPOCH
# (default: the last commit), hash seeds are fixed, archives are sorted and owner-free.
# Build on the oldest distribution you support: the bundle needs the build host's glibc.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VARIANT=${VARIANT:-cpu}
OUT=${OUT:-$ROOT/dist}
WORK=${WORK:-$ROOT/build/linux-$VARIANT}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || date +%s)}
export PYTHONHASHSEED=0
LOCK="$ROOT/packaging/locks/linux-$VARIANT.txt"
[ -f "$LOCK" ] || { echo "no lock for variant $VARIANT ($LOCK)" >&2; exit 2; }
mkdir -p "$WORK" "$OUT"

if [ -z "${PYTHON:-}" ]; then
    echo "== build environment from $(basename "$LOCK")"
    python3 -m venv --clear "$WORK/venv"
    PYTHON="$WORK/venv/bin/python"
    "$PYTHON" -m pip install --quiet --require-hashes --no-deps -r "$LOCK"
    "$PYTHON" -m pip install --quiet --require-hashes --no-deps \
        -r "$ROOT/packaging/locks/build-tools-linux.txt"
    "$PYTHON" -m pip install --quiet --no-deps "$ROOT"
fi
VERSION=$(cd "$ROOT" && "$PYTHON" -c "import inference; print(inference.__version__)")
ARCH=$(dpkg --print-architecture 2>/dev/null || echo amd64)
GLIBC=$(ldd --version 2>&1 | awk 'NR == 1 { print $NF }')  # awk reads it all: no SIGPIPE under pipefail
NAME="dcreview-$VERSION-linux-$VARIANT-$(uname -m)"
PACKAGE=$([ "$VARIANT" = cpu ] && echo dcreview || echo "dcreview-$VARIANT")
CONFLICTS=$([ "$VARIANT" = cpu ] && echo dcreview-cuda || echo dcreview)
echo "== dcreview $VERSION, variant $VARIANT, SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH"

echo "== PyInstaller one-folder bundle"
(cd "$WORK" && "$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$WORK/dist" --workpath "$WORK/pyi" "$ROOT/packaging/dcreview.spec")
BUNDLE="$WORK/dist/dcreview"
find "$BUNDLE" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

echo "== $NAME.tar.gz"
tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
    --transform "s,^dcreview,$NAME," -C "$WORK/dist" -cf - dcreview | gzip -n -6 \
    > "$OUT/$NAME.tar.gz"

echo "== .deb"
PKG="$WORK/deb"
rm -rf "$PKG"
mkdir -p "$PKG/DEBIAN" "$PKG/opt" "$PKG/usr/bin" "$PKG/usr/share/applications" \
    "$PKG/usr/share/icons/hicolor/256x256/apps" "$PKG/usr/share/doc/$PACKAGE"
cp -a "$BUNDLE" "$PKG/opt/dcreview"
ln -s ../../opt/dcreview/dcreview "$PKG/usr/bin/dcreview"  # relative: works in any --root
cp "$ROOT/packaging/linux/dcreview.desktop" "$PKG/usr/share/applications/"
cp "$ROOT/viewer/data/icons/dcreview.png" "$PKG/usr/share/icons/hicolor/256x256/apps/"
cp "$ROOT/packaging/README.md" "$PKG/usr/share/doc/$PACKAGE/README.md"
SIZE=$(du -sk "$PKG" | cut -f1)
sed -e "s/@PACKAGE@/$PACKAGE/" -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH/" \
    -e "s/@SIZE@/$SIZE/" -e "s/@GLIBC@/$GLIBC/" -e "s/@CONFLICTS@/$CONFLICTS/" \
    -e "s/@VARIANT@/$VARIANT/" "$ROOT/packaging/linux/control.in" > "$PKG/DEBIAN/control"
find "$PKG" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
DEB="${PACKAGE}_${VERSION}_${ARCH}.deb"
dpkg-deb --root-owner-group -Zgzip -z6 --build "$PKG" "$OUT/$DEB" >/dev/null

echo "== SBOM (CycloneDX 1.6) of the runtime lock"
SBOM_ROOT="$WORK/sbom-root"
mkdir -p "$SBOM_ROOT"
cat > "$SBOM_ROOT/pyproject.toml" <<TOML
[project]
name = "dcreview"
version = "$VERSION"
description = "dcreview $VARIANT bundle for Linux $ARCH"
TOML
"$PYTHON" -m cyclonedx_py requirements "$LOCK" --pyproject "$SBOM_ROOT/pyproject.toml" \
    --output-reproducible --of JSON -o "$OUT/$NAME.cdx.json"

(cd "$OUT" && sha256sum "$NAME.tar.gz" "$DEB" "$NAME.cdx.json" > SHA256SUMS)
echo "== done:"
(cd "$OUT" && cat SHA256SUMS)

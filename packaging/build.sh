#!/usr/bin/env bash
# Builds Twin's one-folder Linux bundle and its tarball (what `make package` runs):
#   build/dist/twin/                          the bundle (run build/dist/twin/twin)
#   dist/twin-VERSION-linux-ARCH.tar.gz       the bundle + desktop entry, icon, file types, install.sh
# Uses the project's virtualenv (PY, default .venv/bin/python) with the `package` extra.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
VERSION=$("$PY" -c "import twin; print(twin.__version__)")
ARCH=$(uname -m)
NAME="twin-${VERSION}-linux-${ARCH}"

"$PY" -m PyInstaller --noconfirm --log-level WARN \
    --distpath build/dist --workpath build/pyi packaging/twin.spec
BUNDLE=build/dist/twin
# smoke test: the frozen bundle, with a bare environment, solves a hall (numba compiles its
# kernels here; a user's first solve does the same once, then loads them from ~/.cache/numba)
SMOKE_HOME=$(mktemp -d)
env -i HOME="$SMOKE_HOME" PATH=/usr/bin:/bin "$BUNDLE/twin" thermal layouts/test-room.yaml --cell 0.25 >/dev/null
rm -rf "$SMOKE_HOME"

STAGE="build/package/${NAME}"
rm -rf "$STAGE" && mkdir -p "$STAGE/share"
cp -a "$BUNDLE" "$STAGE/twin"
cp packaging/linux/twin.desktop packaging/linux/twin-mime.xml assets/icons/twin.svg "$STAGE/share/"
QT_QPA_PLATFORM=offscreen "$PY" packaging/render_icon.py assets/icons/twin.svg "$STAGE/share/twin.png" 256
cp packaging/linux/install.sh "$STAGE/"
cp packaging/linux/README.txt "$STAGE/"
mkdir -p dist
tar -C build/package -czf "dist/${NAME}.tar.gz" "$NAME"
du -sh "$BUNDLE" "dist/${NAME}.tar.gz"

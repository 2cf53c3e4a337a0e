#!/bin/sh
# Installs the unpacked Twin bundle for the current user (or, as root with --system, for
# everyone): the `twin` command on PATH, the menu entry, the icon and the file types, so that
# double-clicking a layout (.yaml with "format: twin-layout/1") or a recording (.h5) opens Twin.
#   ./install.sh            ->  ~/.local/{bin,share}
#   sudo ./install.sh --system  ->  /usr/local/{bin,share}
#   ./install.sh --uninstall
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
PREFIX="${HOME}/.local"
[ "${1:-}" = "--system" ] && PREFIX=/usr/local && shift
BIN="${PREFIX}/bin"
DATA="${XDG_DATA_HOME:-${PREFIX}/share}"
[ "$PREFIX" = /usr/local ] && DATA=/usr/local/share

if [ "${1:-}" = "--uninstall" ]; then
    rm -f "$BIN/twin" "$DATA/applications/twin.desktop" "$DATA/mime/packages/twin.xml" \
        "$DATA/icons/hicolor/scalable/apps/twin.svg" "$DATA/icons/hicolor/256x256/apps/twin.png"
    command -v update-mime-database >/dev/null && update-mime-database "$DATA/mime" || true
    echo "Twin uninstalled from $PREFIX (the bundle folder $HERE is left as it is)"
    exit 0
fi

mkdir -p "$BIN" "$DATA/applications" "$DATA/mime/packages" \
    "$DATA/icons/hicolor/scalable/apps" "$DATA/icons/hicolor/256x256/apps"
ln -sf "$HERE/twin/twin" "$BIN/twin"
sed "s|^Exec=twin |Exec=$HERE/twin/twin |; s|^TryExec=twin|TryExec=$HERE/twin/twin|" \
    "$HERE/share/twin.desktop" > "$DATA/applications/twin.desktop"
cp "$HERE/share/twin-mime.xml" "$DATA/mime/packages/twin.xml"
cp "$HERE/share/twin.svg" "$DATA/icons/hicolor/scalable/apps/twin.svg"
[ -f "$HERE/share/twin.png" ] && cp "$HERE/share/twin.png" "$DATA/icons/hicolor/256x256/apps/twin.png"
command -v update-mime-database >/dev/null && update-mime-database "$DATA/mime" || true
command -v update-desktop-database >/dev/null && update-desktop-database "$DATA/applications" || true
if command -v xdg-mime >/dev/null; then
    xdg-mime default twin.desktop application/x-twin-layout application/x-twin-recording || true
    [ -z "$(xdg-mime query default application/x-hdf5 2>/dev/null)" ] \
        && xdg-mime default twin.desktop application/x-hdf5 || true
fi
echo "Twin installed: $BIN/twin -> $HERE/twin/twin; menu entry, icon and file types in $DATA"
case ":$PATH:" in *":$BIN:"*) ;; *) echo "Add $BIN to PATH to type 'twin' in a terminal." ;; esac

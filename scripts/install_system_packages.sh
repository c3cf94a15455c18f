#!/usr/bin/env bash
# Installs the Debian packages the tests and the app need (Qt's xcb plugin under Xvfb, screenshots,
# a real Secret Service for keyring tests). Skips apt entirely when everything is already present.
set -euo pipefail

PACKAGES=(
  libegl1 libgl1 libgl1-mesa-dri libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 fonts-dejavu-core
  libglib2.0-0 libdbus-1-3 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0
  libxcb-shape0 libxcb-randr0 libxcb-xkb1 libxcb-xfixes0 libxcb-sync1 libxcb-shm0
  libxcb-glx0 libx11-xcb1 xvfb xauth imagemagick x11-apps gnome-keyring dbus
  postgresql
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "These system packages are missing; install them as root (or with sudo):" >&2
  echo "  apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 0
fi
echo "Installing system packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

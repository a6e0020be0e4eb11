#!/usr/bin/env bash
# Builds the project's container image, rl:latest, with no image registry:
#   1. a Debian 12 base (debootstrap --variant=minbase from this machine's
#      Debian mirror, then `docker import`), once: rl-base:bookworm;
#   2. the project's install tree (cmake --install of the build directory);
#   3. an image FROM the base with the Debian packages of the libraries the
#      installed programs link (found with ldd and dpkg) and the tree.
# Needs root, a running Docker daemon (DOCKER_HOST as usual) and a built
# tree. deploy/Dockerfile is the recipe.
#
#   deploy/build-image.sh [BUILD_DIR=build] [TAG=rl:latest]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
tag=${2:-rl:latest}
docker=${DOCKER:-docker}
work=$(mktemp -d -t rl-image.XXXXXX)
trap 'rm -rf "$work"' EXIT

command -v debootstrap > /dev/null || { echo "build-image: needs debootstrap (apt-get install debootstrap)" >&2; exit 2; }
$docker version > /dev/null 2>&1 || { echo "build-image: no Docker daemon answers (DOCKER_HOST=${DOCKER_HOST:-default})" >&2; exit 2; }

# The mirror this machine installs from.
mirror=$(grep -hoE '^URIs: *http[^ ]*/debian$' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1 | awk '{print $2}')
[[ -z "$mirror" ]] && mirror=$(grep -hoE '^deb +http[^ ]*/debian +bookworm' /etc/apt/sources.list 2>/dev/null | head -n1 | awk '{print $2}')
mirror=${mirror:-http://deb.debian.org/debian}

if ! $docker image inspect rl-base:bookworm > /dev/null 2>&1; then
  echo "build-image: making the base rl-base:bookworm (debootstrap from $mirror)"
  debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" > "$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*
  echo "deb $mirror bookworm main" > "$work/rootfs/etc/apt/sources.list"
  tar -C "$work/rootfs" -c . | $docker import - rl-base:bookworm > /dev/null
  rm -rf "$work/rootfs"
fi

echo "build-image: installing the project from $build"
cmake --install "$build" --prefix "$work/context/install" > /dev/null
# The Debian packages of every library the installed programs and libraries
# link, except the project's own.
packages=$(find "$work/context/install/bin" "$work/context/install/lib" -type f \( -perm -u+x -o -name '*.so*' \) \
             -exec ldd {} \; 2> /dev/null | awk '/=> \// {print $3}' | sort -u |
           while read -r lib; do dpkg -S "$(readlink -f "$lib")" 2> /dev/null || dpkg -S "$lib" 2> /dev/null || true; done |
           cut -d: -f1 | sort -u | tr '\n' ' ')
echo "build-image: runtime packages: $packages"
cp deploy/Dockerfile "$work/context/"
$docker build --network host --build-arg "PACKAGES=$packages" -t "$tag" "$work/context"
echo "build-image: built $tag"

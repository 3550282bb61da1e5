#!/usr/bin/env bash
# Installs the Debian packages shepgw needs to build, test and run its demo.
# Idempotent: skips apt-get when everything is already installed.
#   scripts/install-deps.sh               build, test and demo
#   scripts/install-deps.sh --build-only  just what building and packaging (.deb) need
#                                         (docker/Dockerfile's build stage)
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  gsoap libgsoap-dev
  libssl-dev openssl
  libgcrypt20-dev                       # GOST signatures (pki/gost.h)
  libxml2-dev libxmlsec1-dev
  libcurl4-openssl-dev
  libspdlog-dev libfmt-dev libyaml-cpp-dev libsystemd-dev
  dpkg-dev file                         # cpack -G DEB: dpkg-shlibdeps computes Depends
  tzdata                                # maintenance windows: /usr/share/zoneinfo
)
if [[ ${1:-} != --build-only ]]; then
  PACKAGES+=(
    libxml2-utils xmlsec1 curl
    libgtest-dev libgmock-dev
    python3 python3-zeep python3-xmlsec python3-requests
    prometheus
    wireguard-go wireguard-tools nftables iproute2
    systemd                             # systemd-analyze verifies config/shepgw.service
    # tests/fuzz: libFuzzer + ASan/UBSan/LSan (the fuzz test SKIPs without them)
    clang-14 libclang-rt-14-dev
    # tests/integration/interop_test.cc: a WSS4J client (the WSS4J tests SKIP without them)
    openjdk-17-jdk-headless libwss4j-java libxml-security-java libcommons-logging-java
    libslf4j-java
  )
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  echo "shepgw: installing Debian packages: ${missing[*]}" >&2
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

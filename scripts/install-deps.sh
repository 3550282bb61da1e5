#!/usr/bin/env bash
# Installs the Debian packages shepgw needs to build, test and run its demo.
# Idempotent: skips apt-get when everything is already installed.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  gsoap libgsoap-dev
  libssl-dev openssl
  libxml2-dev libxml2-utils libxmlsec1-dev xmlsec1
  libcurl4-openssl-dev curl
  libspdlog-dev libfmt-dev libyaml-cpp-dev libsystemd-dev
  libgtest-dev libgmock-dev
  python3 python3-zeep python3-xmlsec python3-requests
  # tests/fuzz: libFuzzer + ASan/UBSan/LSan (the fuzz test SKIPs without them)
  clang-14 libclang-rt-14-dev
  # tests/integration/interop_test.cc: a WSS4J client (the WSS4J tests SKIP without them)
  openjdk-17-jdk-headless libwss4j-java libxml-security-java libcommons-logging-java
  libslf4j-java
)

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

#!/usr/bin/env bash
# Builds the Debian package with CPack into a temporary directory and inspects it (ctest
# label: packaging). Nothing is installed on this machine:
#   - contents: binaries, unit, conffile, docs; modes and owners;
#   - control: Depends computed by dpkg-shlibdeps plus adduser/procps; conffiles; maintainer
#     scripts present, executable, `sh -n` (and shellcheck when installed);
#   - the extracted binary runs (`shepgw version`), shipped unit/config equal the sources;
#   - postinst/postrm run against a throw-away root (DPKG_ROOT) with adduser, chown and
#     systemctl replaced by stubs that record their calls;
#   - `apt-get --simulate install ./shepgw_*.deb` resolves every dependency (simulation only).
# Usage: check-deb.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
BUILD=$(cd "${1:?usage: check-deb.sh BUILD_DIR SOURCE_DIR}" && pwd)
SRC=$(cd "${2:?usage: check-deb.sh BUILD_DIR SOURCE_DIR}" && pwd)
SKIP=77

for tool in cpack dpkg-deb dpkg-shlibdeps; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "############################################################" >&2
    echo "# SKIP: $tool not found: the .deb is NOT built or checked" >&2
    echo "#       (apt-get install dpkg-dev cmake)" >&2
    echo "############################################################" >&2
    exit $SKIP
  fi
done

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail=0
bad() { echo "FAIL: $*" >&2; fail=1; }

if ! timeout 240 cpack --config "$BUILD/CPackConfig.cmake" -G DEB -B "$TMP/out" >"$TMP/cpack.log" 2>&1; then
  cat "$TMP/cpack.log" >&2
  bad "cpack -G DEB failed"
  exit 1
fi
mapfile -t debs < <(find "$TMP/out" -maxdepth 1 -name 'shepgw_*.deb')
[[ ${#debs[@]} -eq 1 ]] || { bad "expected one shepgw_*.deb, got: ${debs[*]:-none}"; exit 1; }
DEB=${debs[0]}
echo "built $(basename "$DEB") ($(du -k "$DEB" | cut -f1) KiB)"

# --- contents ---------------------------------------------------------------------------
dpkg-deb -c "$DEB" >"$TMP/contents"
want_files=(
  ./usr/bin/shepgw
  ./usr/lib/shepgw/shep-standin
  ./lib/systemd/system/shepgw.service
  ./etc/shepgw/shepgw.yaml
  ./usr/share/doc/shepgw/README.md
  ./usr/share/doc/shepgw/copyright
  ./usr/share/doc/shepgw/deployment.md
  ./usr/share/doc/shepgw/configuration.md
  ./usr/share/doc/shepgw/examples/shepgw.example.yaml
  ./usr/share/doc/shepgw/examples/grafana-dashboard.json
)
for f in "${want_files[@]}"; do
  grep -q " $f\$" "$TMP/contents" || bad "package lacks $f"
done
mode_of() { awk -v f="$1" '$NF == f {print $1 " " $2}' "$TMP/contents"; }
[[ $(mode_of ./usr/bin/shepgw) == "-rwxr-xr-x root/root" ]] || bad "usr/bin/shepgw: $(mode_of ./usr/bin/shepgw)"
[[ $(mode_of ./etc/shepgw/shepgw.yaml) == "-rw-r----- root/root" ]] ||
  bad "etc/shepgw/shepgw.yaml: $(mode_of ./etc/shepgw/shepgw.yaml) (want -rw-r----- root/root)"
if grep -q ' \./usr/local/' "$TMP/contents"; then bad "files under /usr/local"; fi

# --- control ----------------------------------------------------------------------------
for field in Package Version Architecture Maintainer Description Depends Section; do
  [[ -n $(dpkg-deb -f "$DEB" "$field") ]] || bad "control field $field is empty"
done
depends=$(dpkg-deb -f "$DEB" Depends)
echo "Depends: $depends"
for lib in libc6 libstdc++6 libssl3 libgsoap libxml2 libxmlsec1-openssl libcurl4 libspdlog \
           libyaml-cpp libsystemd0 adduser procps; do
  [[ $depends == *"$lib"* ]] || bad "Depends lacks $lib"
done
dpkg-deb -e "$DEB" "$TMP/control"
grep -qxF /etc/shepgw/shepgw.yaml "$TMP/control/conffiles" 2>/dev/null ||
  bad "conffiles does not list /etc/shepgw/shepgw.yaml"
for script in postinst prerm postrm; do
  f=$TMP/control/$script
  [[ -f $f ]] || { bad "no $script"; continue; }
  [[ -x $f ]] || bad "$script is not executable"
  sh -n "$f" || bad "$script: syntax error"
  if command -v shellcheck >/dev/null 2>&1; then
    shellcheck -s sh "$f" || bad "$script: shellcheck"
  fi
done

# --- payload ----------------------------------------------------------------------------
ROOT=$TMP/root
dpkg-deb -x "$DEB" "$ROOT"
"$ROOT/usr/bin/shepgw" version >/dev/null || bad "the packaged shepgw does not run"
"$ROOT/usr/lib/shepgw/shep-standin" --help >/dev/null 2>&1 || bad "the packaged shep-standin does not run"
cmp -s "$ROOT/lib/systemd/system/shepgw.service" "$SRC/config/shepgw.service" ||
  bad "packaged unit differs from config/shepgw.service"
cmp -s "$ROOT/etc/shepgw/shepgw.yaml" "$SRC/config/shepgw.example.yaml" ||
  bad "packaged shepgw.yaml differs from config/shepgw.example.yaml"

# --- maintainer scripts against a throw-away root, with stubs ---------------------------
STUBS=$TMP/stubs
LOG=$TMP/calls.log
mkdir -p "$STUBS"
: >"$LOG"
for cmd in addgroup adduser chown systemctl deluser; do
  printf '#!/bin/sh\necho "%s $*" >>"%s"\n' "$cmd" "$LOG" >"$STUBS/$cmd"
  chmod +x "$STUBS/$cmd"
done
printf '#!/bin/sh\nexit 2\n' >"$STUBS/getent"   # "no such user or group"
chmod +x "$STUBS/getent"
run_script() { DPKG_ROOT=$ROOT PATH="$STUBS:$PATH" "$TMP/control/$1" "${@:2}"; }

run_script postinst configure "" || bad "postinst configure exited $?"
grep -q '^addgroup --system --quiet shepgw$' "$LOG" || bad "postinst did not create the group"
grep -q '^adduser --system .*--ingroup shepgw .*--no-create-home .* shepgw$' "$LOG" ||
  bad "postinst did not create the system user"
grep -qxF "chown root:shepgw $ROOT/etc/shepgw" "$LOG" || bad "postinst did not chown /etc/shepgw"
grep -qxF "chown shepgw:shepgw $ROOT/var/lib/shepgw" "$LOG" || bad "postinst did not chown /var/lib/shepgw"
[[ $(stat -c %a "$ROOT/etc/shepgw") == 750 ]] || bad "/etc/shepgw mode $(stat -c %a "$ROOT/etc/shepgw")"
[[ $(stat -c %a "$ROOT/etc/shepgw/shepgw.yaml") == 640 ]] || bad "shepgw.yaml mode"
if grep -q '^systemctl' "$LOG"; then bad "systemctl called under DPKG_ROOT"; fi
run_script postinst configure 0.0.9-1 || bad "postinst configure (upgrade) exited $?"
run_script prerm remove || bad "prerm remove exited $?"
# Purge: dpkg has deleted the conffile by then; a key the operator put there stays.
rm "$ROOT/etc/shepgw/shepgw.yaml"
mkdir -p "$ROOT/etc/shepgw/tls" && echo key >"$ROOT/etc/shepgw/tls/server.key"
run_script postrm purge || bad "postrm purge exited $?"
[[ ! -e $ROOT/var/lib/shepgw ]] || bad "postrm purge left /var/lib/shepgw"
[[ -f $ROOT/etc/shepgw/tls/server.key ]] || bad "postrm purge deleted the operator's key"
rm -r "$ROOT/etc/shepgw/tls"
run_script postrm purge || bad "postrm purge (again) exited $?"
[[ ! -e $ROOT/etc/shepgw ]] || bad "postrm purge left an empty /etc/shepgw"

# --- would `apt install ./shepgw_*.deb` work here? (simulation: changes nothing) --------
if command -v apt-get >/dev/null 2>&1; then
  if apt-get --simulate --no-install-recommends install "$DEB" >"$TMP/apt.log" 2>&1; then
    grep -q '^Inst shepgw ' "$TMP/apt.log" || { cat "$TMP/apt.log" >&2; bad "apt-get --simulate did not plan to install shepgw"; }
  else
    cat "$TMP/apt.log" >&2
    bad "apt-get --simulate install ./$(basename "$DEB") failed"
  fi
fi

((fail == 0)) && echo "OK: $(basename "$DEB") checked"
exit $fail

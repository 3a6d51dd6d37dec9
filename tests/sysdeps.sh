#!/usr/bin/env bash
# Install the system packages the full test suite needs, when we can (root + apt).
set -u
need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need+=(chromium)
fc-list 2>/dev/null | grep -qiE "Noto Sans CJK|WenQuanYi|Source Han" || need+=(fonts-noto-cjk fontconfig)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing system packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null 2>&1 || true
  if ! apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1; then
    echo "warning: apt-get install ${need[*]} failed; the tests that need them will say so" >&2
  fi
else
  echo "note: system packages missing (${need[*]}); install them with your package manager" \
       "(e.g. sudo apt-get install ${need[*]}); tests that need them skip on this machine" >&2
fi
exit 0

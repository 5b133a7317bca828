#!/usr/bin/env bash
# Installs the Debian packages the product needs, if any is missing:
#   gettext                         compiles the Chinese/English translations
#   libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0   WeasyPrint (PDFs); without
#                                   harfbuzz-subset one card takes 11 s instead of 0.13 s
#   fonts-noto-cjk                  Chinese text in PDFs and browser screenshots
#   chromium pgbouncer              browser tests and the connection-pooler test (only with --browser,
#                                   which the test command passes)
#   chromium-l10n                   Chromium's Chinese: without it a date field reads mm/dd/yyyy in
#                                   the browser tests' screenshots, not 年/月/日 as an office sees it
#   nginx-light                     the reverse proxy of the reporting benchmark (only with --bench)
# As root it runs apt-get; otherwise it prints the one command to run.
set -euo pipefail

packages=(gettext libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk)
if [ "${1:-}" = "--browser" ]; then
  packages+=(chromium chromium-l10n pgbouncer)
fi
if [ "${1:-}" = "--bench" ]; then
  packages+=(nginx-light)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "缺少系统软件包 / missing system packages: ${missing[*]} (install them with your package manager)" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "缺少系统软件包，请先运行 / missing system packages, run first:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "正在安装系统软件包 / installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

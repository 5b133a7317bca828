#!/usr/bin/env bash
# Restore a folder written by backup.sh into a new, empty database and a new media folder
# (README, "Backup and restore").
#
#   createdb mutualaid_restored
#   DATABASE_URL=postgres://…/mutualaid_restored MEDIA_ROOT=/srv/mutualaid/media-restored \
#       scripts/restore.sh backups/mutualaid-20261128T020000Z
#
# Refuses a database that already has tables and a media folder that is not empty: a restore never
# mixes with live data. The whole database is restored in one transaction (all or nothing).
# Objects are restored owned by the role of DATABASE_URL, without the dumped grants: grant the
# application's role its privileges again as at installation. Then point the application at the
# new database and media folder, with the same SECRET_KEY, PII_ENCRYPTION_KEYS and PII_INDEX_KEY.
#
# PG_BIN: the folder of a pg_restore whose major version is at least the dump's (see backup.sh).
set -euo pipefail

src="${1:?用法 / usage: scripts/restore.sh BACKUP_FOLDER}"
: "${DATABASE_URL:?DATABASE_URL 未设置 / DATABASE_URL is not set}"
: "${MEDIA_ROOT:?MEDIA_ROOT 未设置 / MEDIA_ROOT is not set}"
pg_restore="${PG_BIN:+$PG_BIN/}pg_restore"
psql="${PG_BIN:+$PG_BIN/}psql"

(cd "$src" && sha256sum --check --quiet SHA256SUMS)
tables="$("$psql" -XtAc "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'" "$DATABASE_URL")"
if [ "$tables" != "0" ]; then
    echo "目标数据库不是空的 / the target database is not empty ($tables tables): create a new one." >&2
    exit 1
fi
if [ -d "$MEDIA_ROOT" ] && [ -n "$(ls -A "$MEDIA_ROOT")" ]; then
    echo "MEDIA_ROOT 不是空目录 / MEDIA_ROOT is not empty: $MEDIA_ROOT" >&2
    exit 1
fi

"$pg_restore" --exit-on-error --single-transaction --no-owner --no-privileges --dbname="$DATABASE_URL" \
    "$src/database.dump"
mkdir -p "$MEDIA_ROOT"
tar -C "$MEDIA_ROOT" -xzf "$src/media.tar.gz"
echo "restored $src"

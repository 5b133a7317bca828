#!/usr/bin/env bash
# Back up the database and the uploaded documents into one timestamped folder (README, "Backup
# and restore").
#
#   DATABASE_URL=postgres://… scripts/backup.sh [FOLDER]
#
# Writes FOLDER/mutualaid-<UTC time>/ (FOLDER defaults to $BACKUP_DIR, else ./backups) holding
#   database.dump   pg_dump in custom format (compressed; restored with pg_restore)
#   media.tar.gz    everything under MEDIA_ROOT (default ./media): claim documents, member lists and
#                   card PDFs, all stored encrypted with PII_ENCRYPTION_KEYS
#   SHA256SUMS      checked by restore.sh before it touches anything
#   MANIFEST        when, from which server version, with which pg_dump
# and prints the folder's path. The keys (SECRET_KEY, PII_ENCRYPTION_KEYS, PII_INDEX_KEY) are NOT
# in it: keep them apart, the documents and the encrypted columns are useless without them.
#
# PG_BIN: the folder of a pg_dump whose major version is at least the server's (the machine's
# PostgreSQL for a system server, the embedded one's for `make demo`); default: pg_dump on PATH.
set -euo pipefail

: "${DATABASE_URL:?DATABASE_URL 未设置 / DATABASE_URL is not set}"
root="$(cd "$(dirname "$0")/.." && pwd)"
media="${MEDIA_ROOT:-$root/media}"
parent="${1:-${BACKUP_DIR:-$root/backups}}"
pg_dump="${PG_BIN:+$PG_BIN/}pg_dump"
psql="${PG_BIN:+$PG_BIN/}psql"

umask 077  # personal data: readable by the backup's owner only
dest="$parent/mutualaid-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$dest"
trap 'rm -rf "$dest"' ERR  # a failed backup leaves no folder that looks complete

"$pg_dump" --format=custom --file="$dest/database.dump" --dbname="$DATABASE_URL"
if [ -d "$media" ]; then
    tar -C "$media" -czf "$dest/media.tar.gz" .
else
    tar -czf "$dest/media.tar.gz" -T /dev/null
fi
{
    echo "created_utc=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "server_version=$("$psql" -XtAc 'SHOW server_version' "$DATABASE_URL")"
    echo "pg_dump=$("$pg_dump" --version)"
} >"$dest/MANIFEST"
(cd "$dest" && sha256sum database.dump media.tar.gz MANIFEST >SHA256SUMS)
echo "$dest"

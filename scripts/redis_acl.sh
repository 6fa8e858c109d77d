#!/usr/bin/env bash
# Writes the ACL file Redis loads, from deploy/redis/users.acl plus one
# password file per user.
#
#   scripts/redis_acl.sh SECRETS_DIR OUT_ACL_FILE
#
# deploy/redis/users.acl is a loadable ACL file with no passwords (so no
# user can log in with it as is; Redis ACL files allow no comments: the users
# are described in deploy/README.md).
#
# For each "user NAME ..." line (except default) SECRETS_DIR/redis-NAME.password
# holds that user's password; a missing one is generated (32 random bytes,
# hex, mode 0600). The output is the template with " #<sha256 of password>"
# appended to each such line: Redis stores only the hash, the password stays
# in its file (mounted into the service as a secret, read with
# --redis_password_file). Passwords never appear on a command line or in
# output.
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 SECRETS_DIR OUT_ACL_FILE" >&2
  exit 2
fi
secrets_dir=$1
out=$2
template="$(dirname "$0")/../deploy/redis/users.acl"
mkdir -p "$secrets_dir"
umask 077
tmp="$out.tmp"
: >"$tmp"
while IFS= read -r line; do
  # Redis ACL files have no comments; the template has none, but be safe.
  case $line in "#"* | "") continue ;; esac
  if [[ $line =~ ^user[[:space:]]+([A-Za-z0-9_-]+)[[:space:]] ]] && [ "${BASH_REMATCH[1]}" != default ]; then
    name=${BASH_REMATCH[1]}
    file="$secrets_dir/redis-$name.password"
    if [ ! -s "$file" ]; then
      head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$file"
    fi
    hash=$(tr -d '\n' <"$file" | sha256sum | cut -d' ' -f1)
    line="$line #$hash"
  fi
  printf '%s\n' "$line"
done <"$template" >"$tmp"
mv "$tmp" "$out"

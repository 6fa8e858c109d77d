#!/usr/bin/env bash
# Throwaway TLS material for tests and local demos, made with openssl:
#
#   scripts/make_certs.sh DIR [DAYS [EXTRA_DNS_NAMES...]]
#
# DIR/ca.pem            a CA (its key ca.key)
# DIR/server.pem/.key   signed by it, for 127.0.0.1, ::1, localhost and the
#                       extra DNS names (e.g. intake triage routing)
# DIR/client.pem/.key   signed by it, a client certificate (for mutual TLS)
# DIR/other-ca.pem      another CA, and other-client.pem/.key signed by it
#                       (for tests that a foreign certificate is refused)
# Valid for DAYS (default 1). Never commit the output; production
# certificates come from the organisation's CA (see deploy/README.md).
set -euo pipefail
dir=$1
days=${2:-1}
shift $(( $# >= 2 ? 2 : 1 ))
sans="IP:127.0.0.1,IP:::1,DNS:localhost"
for name in "$@"; do sans="$sans,DNS:$name"; done
mkdir -p "$dir"
cd "$dir"
umask 077
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
ca() {  # NAME
  key "$1.key"
  openssl req -x509 -new -key "$1.key" -out "$1.pem" -days "$days" -subj "/CN=referrals test $1" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
}
leaf() {  # NAME CA EXTENSIONS
  key "$1.key"
  openssl req -new -key "$1.key" -out "$1.csr" -subj "/CN=referrals test $1"
  printf '%b' "$3" >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -out "$1.pem" \
    -days "$days" -extfile "$1.ext" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
ca ca
ca other-ca
leaf server ca "subjectAltName=$sans\nextendedKeyUsage=serverAuth,clientAuth\n"
leaf client ca "extendedKeyUsage=clientAuth\n"
leaf other-client other-ca "extendedKeyUsage=clientAuth\n"
chmod 0644 ./*.pem

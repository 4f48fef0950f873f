#!/bin/sh
# scripts/etcd-certs.sh DIR [NAME...] — a throw-away certificate authority for
# trying etcd over TLS (tests, README examples).  Production uses its own PKI.
#
# Writes into DIR (created if needed):
#   ca.pem, ca-key.pem             the CA
#   server.pem, server-key.pem     etcd's certificate: SAN IP 127.0.0.1, localhost
#   client-NAME.pem, client-NAME-key.pem   one client certificate per NAME
#                                  (default: one, "wyvern"), subject O=NAME and
#                                  no CommonName: etcd 3.4's JSON gateway refuses
#                                  a client certificate with a CN when
#                                  authentication is on (users log in with a
#                                  password; the certificate only gets them in)
# EC P-256 keys (fast), valid for 2 days.
set -eu
dir=${1:?usage: etcd-certs.sh DIR [CN...]}
shift
[ $# -gt 0 ] || set -- wyvern
mkdir -p "$dir"
cd "$dir"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
key ca-key.pem
openssl req -x509 -new -key ca-key.pem -out ca.pem -days 2 -subj "/CN=wyvern test CA" 2>/dev/null
sign() { # name subject extensions
	key "$1-key.pem"
	openssl req -new -key "$1-key.pem" -out "$1.csr" -subj "$2" 2>/dev/null
	printf '%s\n' "$3" > "$1.ext"
	openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
		-out "$1.pem" -days 2 -extfile "$1.ext" 2>/dev/null
	rm -f "$1.csr" "$1.ext"
}
sign server /CN=etcd "subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth,clientAuth"
for cn in "$@"; do
	sign "client-$cn" "/O=$cn" "extendedKeyUsage=clientAuth"
done
chmod 600 ./*-key.pem

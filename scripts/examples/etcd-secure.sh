#!/usr/bin/env bash
# etcd with TLS and authentication: a throw-away CA, etcd serving HTTPS and
# requiring client certificates, users and roles made by scripts/etcd-roles.sh,
# wyctl as the API user, and a wyvernd whose chassis user may read the
# northbound but not write it.
# Run as root from the repository root after `make` (needs etcd: scripts/deps.sh).
set -euo pipefail
export PATH="$PWD/build/bin:$PATH"
say() { printf '\n== %s\n' "$*"; }

tag=ws$$                                   # unique names: chassis, DPDK prefix
dir=$(mktemp -d /tmp/wyvern-etcdsec.XXXXXX)
pids=()
cleanup() {
  [ $? -eq 0 ] || tail -n 20 "$dir"/*.log 2>/dev/null || true
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$dir" "/var/run/dpdk/${tag}"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

say "certificates: a CA, etcd's server certificate, one client certificate"
scripts/etcd-certs.sh "$dir/pki" wyvern
ls "$dir/pki"

say "etcd on loopback over HTTPS, client certificates required"
free_port() { local p=$1; while ss -Htan "sport = :$p" | grep -q .; do p=$((p + 1)); done; echo "$p"; }
client=$(free_port $((20000 + $$ % 20000)))
peer=$(free_port $((client + 1)))
etcd --name "$tag" --data-dir "$dir/etcd" \
  --listen-client-urls "https://127.0.0.1:$client" --advertise-client-urls "https://127.0.0.1:$client" \
  --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
  --initial-cluster "$tag=http://127.0.0.1:$peer" \
  --cert-file "$dir/pki/server.pem" --key-file "$dir/pki/server-key.pem" \
  --trusted-ca-file "$dir/pki/ca.pem" --client-cert-auth > "$dir/etcd.log" 2>&1 &
pids+=($!)
export ETCDCTL_API=3 ETCDCTL_ENDPOINTS="https://127.0.0.1:$client" ETCDCTL_CACERT="$dir/pki/ca.pem" \
  ETCDCTL_CERT="$dir/pki/client-wyvern.pem" ETCDCTL_KEY="$dir/pki/client-wyvern-key.pem"
for _ in $(seq 100); do etcdctl endpoint health > /dev/null 2>&1 && break; sleep 0.2; done
etcdctl endpoint health

say "users and roles: root, the API user, one chassis user; then authentication on"
umask 077
for u in root api chassis; do head -c 12 /dev/urandom | base64 > "$dir/$u.pw"; done
scripts/etcd-roles.sh root "$dir/root.pw"
scripts/etcd-roles.sh api api "$dir/api.pw"
scripts/etcd-roles.sh chassis "${tag}a" "${tag}a" "$dir/chassis.pw"
scripts/etcd-roles.sh enable
export ETCDCTL_USER="root:$(cat "$dir/root.pw")"
etcdctl role get "wyvern-chassis-${tag}a"

say "wyctl as the API user writes the northbound"
DB="etcds://127.0.0.1:$client"
export WYVERN_DB_CA="$dir/pki/ca.pem" WYVERN_DB_CERT="$dir/pki/client-wyvern.pem" \
  WYVERN_DB_KEY="$dir/pki/client-wyvern-key.pem"
echo "+ wyctl --db $DB --db-user api --db-password-file $dir/api.pw network create blue"
wyctl --db "$DB" --db-user api --db-password-file "$dir/api.pw" network create blue
wyctl --db "$DB" --db-user api --db-password-file "$dir/api.pw" network list

say "the chassis user may not write it; a wrong password is refused at once"
if wyctl --db "$DB" --db-user "${tag}a" --db-password-file "$dir/chassis.pw" \
     network create red 2> "$dir/err"; then exit 1; fi
cat "$dir/err"; grep -q "permission denied" "$dir/err"
echo wrong > "$dir/wrong.pw"
if wyctl --db "$DB" --db-user api --db-password-file "$dir/wrong.pw" network list 2> "$dir/err"
then exit 1; fi
cat "$dir/err"; grep -q "authentication failed" "$dir/err"

say "wyvernd as the chassis user: [ctrl] db-ca, db-cert, db-key, db-user, db-password-file"
cat > "$dir/a.conf" <<EOC
[eal]
args = --no-huge --no-pci
memory-mb = 512
file-prefix = ${tag}
lcores = 0,1
[dp]
pmd-lcores = 1
idle-sleep-max-us = 200
mbufs = 8192
[mgmt]
socket = $dir/a.sock
[ctrl]
db = $DB
db-ca = $dir/pki/ca.pem
db-cert = $dir/pki/client-wyvern.pem
db-key = $dir/pki/client-wyvern-key.pem
db-user = ${tag}a
db-password-file = $dir/chassis.pw
chassis = ${tag}a
replica = $dir/replica
EOC
cat "$dir/a.conf"
wyvernd -c "$dir/a.conf" --check-config
wyvernd -c "$dir/a.conf" > "$dir/wyvernd.log" 2>&1 &
pids+=($!)
connected() { wyctl -s "$dir/a.sock" --json show ctrl 2>/dev/null | grep -q '"connected": true'; }
for _ in $(seq 150); do connected && break; sleep 0.2; done
echo "+ wyctl -s $dir/a.sock show ctrl"; wyctl -s "$dir/a.sock" show ctrl
connected || { echo "controller not connected"; exit 1; }
echo "+ etcdctl get $(scripts/etcd-roles.sh chassis-key "${tag}a")"
etcdctl get "$(scripts/etcd-roles.sh chassis-key "${tag}a")" --print-value-only

say "etcd-secure: OK"

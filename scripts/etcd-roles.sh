#!/usr/bin/env bash
# scripts/etcd-roles.sh — the etcd users and roles of wyvern (README "Securing
# etcd"), made with etcdctl.  etcdctl's own environment selects the cluster and
# the credentials: ETCDCTL_ENDPOINTS, ETCDCTL_CACERT, ETCDCTL_CERT, ETCDCTL_KEY,
# ETCDCTL_USER (root:PASSWORD once authentication is on).
#
#   etcd-roles.sh root PASSWORD_FILE        user root with role root (etcd needs
#                                           it before authentication is enabled)
#   etcd-roles.sh api USER PASSWORD_FILE    role wyvern-api: read/write /wyvern/v1/
#                                           (the northbound API server, wyctl --db)
#   etcd-roles.sh chassis NAME USER PASSWORD_FILE
#                                           role wyvern-chassis-NAME: read /wyvern/v1/,
#                                           write its own chassis key and its port
#                                           status (/wyvern/v1/_status/UUID/)
#   etcd-roles.sh enable                    etcdctl auth enable
#   etcd-roles.sh chassis-key NAME          prints the chassis key of NAME
#
# A password file holds the password on its first line.  Re-running a command
# is harmless (existing users/roles are kept, grants repeated).
set -euo pipefail
PREFIX=/wyvern/v1/

# The chassis id wyvernd derives from its name (mdl_chassis_id in
# model/mdl_addr.c: FNV-1a with two seeds, UUID v5 layout).
chassis_uuid() {
  local name=$1 h1=1469598103934665603 h2=$((0x84222325cbf29ce4)) i c b=()
  for ((i = 0; i < ${#name}; i++)); do
    printf -v c '%d' "'${name:i:1}"
    c=$((c & 0xff))
    h1=$(((h1 ^ c) * 1099511628211))
    h2=$(((h2 ^ c) * 0x100000001b3 + 0x9e3779b97f4a7c15))
  done
  for ((i = 0; i < 8; i++)); do
    b[i]=$(((h1 >> (8 * i)) & 0xff))
    b[8 + i]=$(((h2 >> (8 * i)) & 0xff))
  done
  b[6]=$(((b[6] & 0x0f) | 0x50))
  b[8]=$(((b[8] & 0x3f) | 0x80))
  printf '%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x\n' "${b[@]}"
}

password() {
  local pw
  IFS= read -r pw < "$1" || true
  [ -n "$pw" ] || { echo "etcd-roles.sh: $1: no password on its first line" >&2; exit 2; }
  printf '%s' "$pw"
}

# user USER PASSWORD_FILE ROLE: the user (if new) with that role
user() {
  if ! etcdctl user get "$1" > /dev/null 2>&1; then
    etcdctl user add "$1" --new-user-password="$(password "$2")" > /dev/null
  fi
  etcdctl user grant-role "$1" "$3" > /dev/null
  echo "user $1: role $3"
}

role() {
  etcdctl role get "$1" > /dev/null 2>&1 || etcdctl role add "$1" > /dev/null
}

usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

cmd=${1:-}
case $cmd in
root)
  [ $# -eq 2 ] || usage
  role root
  user root "$2" root ;;
api)
  [ $# -eq 3 ] || usage
  role wyvern-api
  etcdctl role grant-permission wyvern-api --prefix=true readwrite "$PREFIX" > /dev/null
  user "$2" "$3" wyvern-api ;;
chassis)
  [ $# -eq 4 ] || usage
  uuid=$(chassis_uuid "$2")
  r=wyvern-chassis-$2
  role "$r"
  etcdctl role grant-permission "$r" --prefix=true read "$PREFIX" > /dev/null
  etcdctl role grant-permission "$r" readwrite "${PREFIX}chassis/$uuid" > /dev/null
  etcdctl role grant-permission "$r" --prefix=true readwrite "${PREFIX}_status/$uuid/" > /dev/null
  user "$3" "$4" "$r" ;;
enable)
  etcdctl auth enable ;;
chassis-key)
  [ $# -eq 2 ] || usage
  echo "${PREFIX}chassis/$(chassis_uuid "$2")" ;;
*)
  usage ;;
esac

#!/usr/bin/python3
"""Write the fip-10k topology (scripts/bench/fip.sh) through wyvern-api.

Usage: fip_nb.py URL CHASSIS VM_MAC VM_IP FIP

Talks the Neutron v2.0 JSON API of a running wyvern-api at URL, as a cloud
would: an external flat network on physnet1 (172.24.4.0/24, gateway
172.24.4.1 = the upstream), a tenant network (10.0.5.0/24), a router with
its external gateway there (the API gives it an address of the external
subnet) and an interface on the tenant subnet, a VM port bound to CHASSIS
(port security off: the benchmark measures NAT, not security groups), and
the floating IP FIP bound to it.  wyctl cannot do this alone: its
--external-gateway does not allocate the gateway's address.

Prints one line: VM_ID=<port id> GW_IP=<router gateway address>.
"""

import json
import sys
import urllib.request


def call(url, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url + "/v2.0/" + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:
        sys.exit("fip_nb: %s %s: HTTP %d %s" % (method, path, e.code, e.read().decode()[:500]))


def main() -> int:
    if len(sys.argv) != 6:
        sys.exit(__doc__.split("\n\n")[1])
    url, chassis, vm_mac, vm_ip, fip = sys.argv[1:]
    url = url.rstrip("/")
    ext = call(url, "POST", "networks", {"network": {
        "name": "ext", "router:external": True, "provider:network_type": "flat",
        "provider:physical_network": "physnet1"}})["network"]
    call(url, "POST", "subnets", {"subnet": {
        "name": "ext-s", "network_id": ext["id"], "ip_version": 4, "cidr": "172.24.4.0/24",
        "gateway_ip": "172.24.4.1", "enable_dhcp": False}})
    net = call(url, "POST", "networks", {"network": {"name": "tenant"}})["network"]
    sub = call(url, "POST", "subnets", {"subnet": {
        "name": "tenant-s", "network_id": net["id"], "ip_version": 4,
        "cidr": "10.0.5.0/24", "gateway_ip": "10.0.5.1"}})["subnet"]
    rtr = call(url, "POST", "routers", {"router": {
        "name": "r", "external_gateway_info": {"network_id": ext["id"]}}})["router"]
    call(url, "PUT", "routers/%s/add_router_interface" % rtr["id"], {"subnet_id": sub["id"]})
    port = call(url, "POST", "ports", {"port": {
        "name": "vm", "network_id": net["id"], "mac_address": vm_mac,
        "fixed_ips": [{"subnet_id": sub["id"], "ip_address": vm_ip}],
        "port_security_enabled": False, "binding:host_id": chassis}})["port"]
    call(url, "POST", "floatingips", {"floatingip": {
        "floating_network_id": ext["id"], "floating_ip_address": fip, "port_id": port["id"]}})
    gw = call(url, "GET", "routers/%s" % rtr["id"])["router"]["external_gateway_info"]
    ips = [x["ip_address"] for x in gw.get("external_fixed_ips") or []]
    if not ips:
        sys.exit("fip_nb: the router gateway got no address: %s" % gw)
    print("VM_ID=%s GW_IP=%s" % (port["id"], ips[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/mgmt/devargs.c — which devargs `wyctl port add` may pass to DPDK.
 *
 * A DPDK devargs string ("net_pcap0,rx_pcap=/etc/shadow") can make the
 * daemon, which runs as root, read or write any file: pcap's rx_pcap and
 * tx_pcap, af_xdp's xdp_prog and dp_path, vhost's iface and virtio_user's
 * path (socket files it creates or connects to), memif's socket, ...  An
 * admin of the management socket is not necessarily root, so `port add`
 * accepts only devargs known to name no file: an allow-list of keys per
 * driver (interface names, sizes, counts, flags), and no value containing
 * '/'.  A driver not listed here may be added without arguments (e.g. a
 * PCI address).  [mgmt] allow-file-devargs = true lifts the check; ports
 * of the configuration file and --port are not checked (root wrote them).
 *
 * No DPDK; any thread.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctrl.h"

struct drv_keys {
	const char *driver;    /* vdev driver name without the instance number */
	const char *keys[10];  /* keys known to take no path */
};

static const struct drv_keys allowed[] = {
	{ "net_tap", { "iface", "mac", "remote", "persist" } },
	{ "net_tun", { "iface", "mac", "remote", "persist" } },
	{ "net_af_packet", { "iface", "qpairs", "blocksz", "framesz", "framecnt",
			     "qdisc_bypass", "fanout_mode" } },
	{ "eth_af_packet", { "iface", "qpairs", "blocksz", "framesz", "framecnt",
			     "qdisc_bypass", "fanout_mode" } },
	/* not xdp_prog (a BPF object file) nor dp_path (a socket path) */
	{ "net_af_xdp", { "iface", "start_queue", "queue_count", "shared_umem",
			  "busy_budget", "force_copy", "use_cni" } },
	/* live interfaces only: not rx_pcap/tx_pcap (files) */
	{ "net_pcap", { "iface", "rx_iface", "rx_iface_in", "tx_iface", "phy_mac",
			"infinite_rx" } },
	{ "net_null", { "size", "copy", "no-rx" } },
	{ "net_ring", { "nodeaction" } },
};

static const struct drv_keys *driver_of(const char *name, size_t len)
{
	/* "net_tap0" -> "net_tap" */
	while (len > 0 && name[len - 1] >= '0' && name[len - 1] <= '9')
		len--;
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (strlen(allowed[i].driver) == len && strncmp(allowed[i].driver, name, len) == 0)
			return &allowed[i];
	return NULL;
}

#define HOW " (set [mgmt] allow-file-devargs = true in wyvernd's configuration to allow it)"

int ctrl_devargs_check(const char *devargs, char *msg, size_t len)
{
	size_t nlen = strcspn(devargs, ",");
	const struct drv_keys *d = driver_of(devargs, nlen);
	const char *p = devargs + nlen;
	while (*p == ',') {
		p++;
		/* one "key=value" (brackets may hold commas: "[0-3,5]") */
		const char *start = p;
		int depth = 0;
		while (*p && (depth > 0 || *p != ',')) {
			depth += *p == '[' ? 1 : *p == ']' ? -1 : 0;
			p++;
		}
		size_t kv = (size_t)(p - start);
		size_t klen = strcspn(start, "=,");
		if (klen > kv)
			klen = kv;
		if (kv == 0)
			continue;
		bool known = false;
		for (unsigned i = 0; d && i < 10 && d->keys[i]; i++)
			known |= strlen(d->keys[i]) == klen && strncmp(d->keys[i], start, klen) == 0;
		if (!known) {
			snprintf(msg, len, "devarg '%.*s' of %.*s may name a file the daemon would "
				 "read or write (only devargs known to name no file are accepted "
				 "over the socket)" HOW, (int)klen, start, (int)nlen, devargs);
			return -EPERM;
		}
		if (memchr(start, '/', kv) != NULL) {
			snprintf(msg, len, "devarg '%.*s' holds a path" HOW, (int)kv, start);
			return -EPERM;
		}
	}
	return 0;
}

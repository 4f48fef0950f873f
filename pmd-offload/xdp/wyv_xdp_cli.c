/* SPDX-License-Identifier: BSD-3-Clause
 * pmd-offload/xdp/wyv_xdp_cli.c — `wyv-xdp`: attach the XDP tier to kernel
 * interfaces and edit its maps by hand (tests, operators, debugging).
 *   wyv-xdp [-p PIN_DIR] [-m native|skb] attach IFACE [wyv_xdp|wyv_xdp_pass]
 *   wyv-xdp [-m native|skb] detach IFACE
 *   wyv-xdp [-p DIR] flow-add IN_IFACE DST_MAC OUT_IFACE|drop|xsk
 *   wyv-xdp [-p DIR] flow-del IN_IFACE DST_MAC
 *   wyv-xdp [-p DIR] flows
 *   wyv-xdp [-p DIR] portsec-set IFACE MAC [IPV4...]
 *   wyv-xdp [-p DIR] portsec-del IFACE
 *   wyv-xdp [-p DIR] stats IFACE
 *   wyv-xdp obj                 (the object for net_af_xdp's xdp_prog=)
 * Exit status 0 on success, 1 with a message on stderr otherwise.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>

#include "ofl_xdp.h"

static int usage(void)
{
	fprintf(stderr, "usage: wyv-xdp [-p PIN_DIR] [-m native|skb] "
		"attach|detach|flow-add|flow-del|flows|portsec-set|portsec-del|stats|obj ...\n");
	return 1;
}

static int fail(const char *what, int rc)
{
	fprintf(stderr, "wyv-xdp: %s: %s\n", what, strerror(rc < 0 ? -rc : rc));
	return 1;
}

static unsigned ifx(const char *name)
{
	unsigned i = if_nametoindex(name);
	if (i == 0) {
		fprintf(stderr, "wyv-xdp: no interface %s\n", name);
		exit(1);
	}
	return i;
}

static void mac_of(const char *s, uint8_t m[6])
{
	if (sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &m[0], &m[1], &m[2], &m[3], &m[4],
		   &m[5]) != 6) {
		fprintf(stderr, "wyv-xdp: bad MAC %s\n", s);
		exit(1);
	}
}

static int mask_ones(const void *p, size_t n)
{
	const uint8_t *c = p;
	for (size_t i = 0; i < n; i++)
		if (c[i] != 0xff)
			return 0;
	return 1;
}

static int mask_nz(const void *p, size_t n)
{
	const uint8_t *c = p;
	for (size_t i = 0; i < n; i++)
		if (c[i])
			return 1;
	return 0;
}

#define ADD(...) (n += snprintf(more + n, sizeof(more) - (size_t)n, __VA_ARGS__), \
		  n = n < (int)sizeof(more) ? n : (int)sizeof(more) - 1)

static void mac_fmt(char *out, size_t len, const uint8_t *m)
{
	snprintf(out, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* One line per flow: the fields its mask reads (value, "/mask" when not
 * every bit), dst=any when it does not read the destination. */
static int show_flow(const struct ofl_xdp_key *k, const struct ofl_xdp_val *v, void *arg)
{
	struct ofl_xdp *x = arg;
	struct ofl_xdp_mask mk;
	char in[IF_NAMESIZE] = "?", out[IF_NAMESIZE] = "-", more[256] = "", a[32], b[32];
	int n = 0;
	if_indextoname(k->ifindex, in);
	if (v->out_ifindex)
		if_indextoname(v->out_ifindex, out);
	if (ofl_xdp_mask_get(x, k->mask_id, &mk))
		memset(&mk, 0, sizeof(mk));
	const struct ofl_xdp_key *m = &mk.m;
	if (mask_nz(m->dst, 6)) {
		mac_fmt(a, sizeof(a), k->dst);
		ADD(" dst=%s", a);
		if (!mask_ones(m->dst, 6)) {
			mac_fmt(b, sizeof(b), m->dst);
			ADD("/%s", b);
		}
	} else {
		ADD(" dst=any");
	}
	ADD(" vlan=%u", k->vlan & 0xfff);
	if (mask_nz(m->src, 6)) {
		mac_fmt(a, sizeof(a), k->src);
		ADD(" src=%s", a);
		if (!mask_ones(m->src, 6)) {
			mac_fmt(b, sizeof(b), m->src);
			ADD("/%s", b);
		}
	}
	if (m->eth_type)
		ADD(" type=0x%04x", ntohs(k->eth_type));
	struct { const char *name; uint32_t v, m; } ips[] = {
		{ "ip_src", k->ip_src, m->ip_src }, { "ip_dst", k->ip_dst, m->ip_dst },
	};
	for (unsigned i = 0; i < 2; i++) {
		if (!ips[i].m)
			continue;
		inet_ntop(AF_INET, &ips[i].v, a, sizeof(a));
		ADD(" %s=%s", ips[i].name, a);
		if (ips[i].m != 0xffffffffu)
			ADD("/%d", __builtin_popcount(ips[i].m));
	}
	if (m->ip_proto)
		ADD(" proto=%u", k->ip_proto);
	if (m->ip_frag)
		ADD(" frag=%u/%u", k->ip_frag, m->ip_frag);
	if (m->tp_src)
		ADD(" tp_src=%u/0x%04x", ntohs(k->tp_src), ntohs(m->tp_src));
	if (m->tp_dst)
		ADD(" tp_dst=%u/0x%04x", ntohs(k->tp_dst), ntohs(m->tp_dst));
	printf("in=%s%s mask=%u action=%s out=%s packets=%llu bytes=%llu\n", in, more,
	       k->mask_id, v->action == OFL_XDP_DROP ? "drop" :
	       v->action == OFL_XDP_REDIRECT ? "redirect" : "xsk", out,
	       (unsigned long long)v->packets, (unsigned long long)v->bytes);
	return 0;
}

int main(int argc, char **argv)
{
	const char *pin = OFL_XDP_PIN_DEFAULT;
	enum ofl_xdp_mode mode = OFL_XDP_MODE_NATIVE;
	char err[256];
	int opt, rc;

	while ((opt = getopt(argc, argv, "p:m:")) != -1) {
		if (opt == 'p')
			pin = optarg;
		else if (opt == 'm' && strcmp(optarg, "skb") == 0)
			mode = OFL_XDP_MODE_SKB;
		else if (opt == 'm' && strcmp(optarg, "native") == 0)
			mode = OFL_XDP_MODE_NATIVE;
		else
			return usage();
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		return usage();
	const char *cmd = argv[0];
	if (strcmp(cmd, "obj") == 0) {
		printf("%s\n", ofl_xdp_obj_path());
		return 0;
	}
	if (strcmp(cmd, "attach") == 0 && argc >= 2) {
		rc = ofl_xdp_attach(ifx(argv[1]), pin, argc >= 3 ? argv[2] : "wyv_xdp", mode, err,
				    sizeof(err));
		if (rc) {
			fprintf(stderr, "wyv-xdp: %s\n", err);
			return 1;
		}
		return 0;
	}
	if (strcmp(cmd, "detach") == 0 && argc >= 2) {
		rc = ofl_xdp_detach(ifx(argv[1]), mode);
		return rc ? fail("detach", rc) : 0;
	}
	struct ofl_xdp *x = ofl_xdp_open(pin);
	if (x == NULL)
		return fail("open pinned maps (attach first)", errno);
	uint8_t mac[6];
	rc = 0;
	if (strcmp(cmd, "flow-add") == 0 && argc == 4) {
		mac_of(argv[2], mac);
		if (strcmp(argv[3], "drop") == 0)
			rc = ofl_xdp_flow_put(x, ifx(argv[1]), mac, 0, OFL_XDP_DROP, 0);
		else if (strcmp(argv[3], "xsk") == 0)   /* explicitly to the PMD */
			rc = ofl_xdp_flow_put(x, ifx(argv[1]), mac, 0, OFL_XDP_TO_XSK, 0);
		else
			rc = ofl_xdp_flow_put(x, ifx(argv[1]), mac, 0, OFL_XDP_REDIRECT,
					      ifx(argv[3]));
		if (rc)
			rc = fail("flow-add", rc);
	} else if (strcmp(cmd, "flow-del") == 0 && argc == 3) {
		mac_of(argv[2], mac);
		rc = ofl_xdp_flow_del(x, ifx(argv[1]), mac, 0);
		if (rc)
			rc = fail("flow-del", rc);
	} else if (strcmp(cmd, "flows") == 0) {
		ofl_xdp_flow_foreach(x, show_flow, x);
	} else if (strcmp(cmd, "portsec-set") == 0 && argc >= 3 && argc <= 3 + OFL_XDP_MAX_IP) {
		uint32_t ips[OFL_XDP_MAX_IP];
		mac_of(argv[2], mac);
		for (int i = 3; i < argc; i++)
			if (inet_pton(AF_INET, argv[i], &ips[i - 3]) != 1) {
				fprintf(stderr, "wyv-xdp: bad IPv4 %s\n", argv[i]);
				ofl_xdp_close(x);
				return 1;
			}
		rc = ofl_xdp_portsec_set(x, ifx(argv[1]), mac, ips, (unsigned)(argc - 3));
		if (rc)
			rc = fail("portsec-set", rc);
	} else if (strcmp(cmd, "portsec-del") == 0 && argc == 2) {
		rc = ofl_xdp_portsec_del(x, ifx(argv[1]));
		if (rc)
			rc = fail("portsec-del", rc);
	} else if (strcmp(cmd, "stats") == 0 && argc == 2) {
		struct ofl_xdp_port_ctr c;
		ofl_xdp_port_counters(x, ifx(argv[1]), &c);
		for (unsigned i = 0; i < OFL_XDP_C__MAX; i++)
			printf("%s%s=%llu", i ? " " : "", ofl_xdp_ctr_name(i),
			       (unsigned long long)c.c[i]);
		printf("\n");
	} else {
		rc = usage();
	}
	ofl_xdp_close(x);
	return rc;
}

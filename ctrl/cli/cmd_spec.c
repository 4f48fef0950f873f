/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/cli/cmd_spec.c — the management command table (see cmd_spec.h).
 */
#include <stdio.h>
#include <string.h>

#include "cmd_spec.h"

#define R CTRL_CMD_READ
#define A CTRL_CMD_ADMIN

static const struct ctrl_cmd_spec specs[] = {
	/* show: the datapath and the controller, read-only */
	{ "show ports", "", "dp ports: driver, MAC, link, bound lport, rx/tx/missed", R, "show" },
	{ "show pmd", "", "PMD threads: packets, cycles/packet, caches, megaflows, mbufs", R, "show" },
	{ "show networks", "", "datapath networks: key, type, VNI/VLAN, MTU, remote VTEPs", R, "show" },
	{ "show lports", "", "logical ports in the tables: MACs, IPs, binding, security", R, "show" },
	{ "show routers", "", "routers, their ports and routes", R, "show" },
	{ "show overlay", "", "this chassis' VTEP, uplink and the remote VTEPs", R, "show" },
	{ "show nat", "", "router gateways (next hop, NAT zone, this chassis' SNAT address) and "
	  "floating IPs translated on this chassis, the SNAT mode, conntrack NAT counters "
	  "(exhausted), resolver and gratuitous ARP counters", R, "show" },
	{ "show ctrl", "", "local controller: database, sync state, revision, errors", R, "show" },
	{ "show replica", "", "the local replica: path, revision, objects held", R, "show" },
	{ "show chassis", "", "every chassis in the database: id, VTEP, encapsulation, and "
	  "whether its wyvernd is alive (holds its liveness lease)", R, "show" },
	{ "show topology", "", "networks, subnets, ports (host, binding) and routers this chassis "
	  "holds", R, "show" },
	{ "show memory", "", "where the memory is: resident set, C heap, DPDK heap and its "
	  "biggest memzones, table sizes, the controller's state by role", R, "show" },
	{ "show dhcp", "", "DHCP application counters and blocked ports", R, "show" },
	{ "show security-groups", "[--port P]", "the compiled security groups per port: zone, "
	  "groups, stateful, rules per direction and family (with rule ids), remote-group "
	  "address sets", R, "show" },
	{ "show conntrack", "[--port P | --zone Z]", "conntrack connections: zone and port, "
	  "tuples, state, timeout, mark (each filtered port has its own zone)", R, "show" },
	{ "dump fdb", "", "the MAC tables (network, MAC -> lport)", R, "show" },
	{ "dump megaflows", "[--limit N]", "installed megaflows with their actions, tags and "
	  "offload state", R, "show" },
	{ "show offload", "", "megaflow offload per port: backend, probed capabilities, rules "
	  "installed/failed/removed, hardware hits", R, "show" },
	{ "trace", "PORT FLOW | PORT --hex HEXBYTES",
	  "run a packet through the pipeline stage by stage, without sending it", R, "show" },
	{ "capture", "PORT [-c N] [-w FILE.pcapng] [--filter FLOW] [--direction rx|tx|both] "
	  "[--timeout S]", "capture a port's packets to a pcapng file (or list them)", A, "show" },
	/* datapath state */
	{ "stats clear", "", "zero the port, PMD and drop counters", A, "datapath" },
	{ "cache flush", "", "remove every megaflow and exact-match entry", A, "datapath" },
	{ "offload pause", "", "stop the offload thread: events queue up, rules stay (debugging)",
	  A, "datapath" },
	{ "offload resume", "", "restart the offload thread", A, "datapath" },
	{ "conntrack flush", "[--port P | --zone Z]", "remove every conntrack connection (of "
	  "one port or zone)", A,
	  "datapath" },
	{ "port add", "NAME DEVARGS [--rxqs N] [--pmd LCORE] [--mtu N]",
	  "add a DPDK port to the running datapath", A, "datapath" },
	{ "port del", "NAME", "remove a port from the datapath", A, "datapath" },
	/* static tables (no database) */
	{ "network add",
	  "KEY [--name NAME] [--vni N] [--mtu N] [--type overlay|flat|vlan] [--vlan ID] "
	  "[--flood-vtep IP].." , "add a network to the static tables", A, "static" },
	{ "network del", "KEY", "remove a static network", A, "static" },
	{ "lport add",
	  "KEY --network NET --mac MAC [--mac MAC].. [--ip IP].. [--aap IP[/LEN][@MAC]].. "
	  "[--port PORT|none] [--name NAME] [--no-port-security] [--down] [--remote-vtep IP]",
	  "add a logical port to the static tables", A, "static" },
	{ "lport set", "KEY [lport add options]", "change a static logical port", A, "static" },
	{ "lport del", "KEY", "remove a static logical port", A, "static" },
	{ "router add", "KEY [--name NAME]", "add a static router", A, "static" },
	{ "router del", "KEY", "remove a static router", A, "static" },
	{ "rport add",
	  "KEY --router R --network N --mac MAC --ip IP/LEN [--ip IP/LEN].. [--name NAME] "
	  "[--ra none|slaac|dhcpv6-stateless|dhcpv6-stateful]",
	  "add a router port on a network", A, "static" },
	{ "rport del", "KEY", "remove a router port", A, "static" },
	{ "route add", "ROUTER PREFIX via IP | dev RPORT", "add a static route", A, "static" },
	{ "route del", "ROUTER PREFIX", "remove a static route", A, "static" },
	{ "vtep add", "IP [--mac MAC] [--encap vxlan|geneve]",
	  "add a static underlay neighbor (remote VTEP)", A, "static" },
	{ "vtep del", "IP", "remove a static remote VTEP", A, "static" },
	/* northbound: the logical topology in the database */
	{ "network create", "NAME [OPTIONS]", "create a network in the database", A, "northbound" },
	{ "network list", "[OPTIONS]", "list networks", R, "northbound" },
	{ "network show", "NAME|ID", "show one network", R, "northbound" },
	{ "network update", "NAME|ID [OPTIONS]", "change a network", A, "northbound" },
	{ "network delete", "NAME|ID", "delete a network", A, "northbound" },
	{ "subnet create", "NAME --network NET --cidr CIDR [OPTIONS]", "create a subnet", A,
	  "northbound" },
	{ "subnet list", "[OPTIONS]", "list subnets", R, "northbound" },
	{ "subnet show", "NAME|ID", "show one subnet", R, "northbound" },
	{ "subnet update", "NAME|ID [OPTIONS]", "change a subnet", A, "northbound" },
	{ "subnet delete", "NAME|ID", "delete a subnet", A, "northbound" },
	{ "port create", "NAME --network NET [OPTIONS]", "create a port (its id is the iface-id)",
	  A, "northbound" },
	{ "port list", "[OPTIONS]", "list ports", R, "northbound" },
	{ "port show", "NAME|ID", "show one port", R, "northbound" },
	{ "port update", "NAME|ID [OPTIONS]", "change a port", A, "northbound" },
	{ "port delete", "NAME|ID", "delete a port", A, "northbound" },
	{ "router create", "NAME [--add-subnet SUBNET].. [OPTIONS]", "create a router", A,
	  "northbound" },
	{ "router list", "[OPTIONS]", "list routers", R, "northbound" },
	{ "router show", "NAME|ID", "show one router", R, "northbound" },
	{ "router update", "NAME|ID [OPTIONS]", "change a router (interfaces, routes)", A,
	  "northbound" },
	{ "router delete", "NAME|ID", "delete a router", A, "northbound" },
	{ "security-group create", "NAME [OPTIONS]", "create a security group", A, "northbound" },
	{ "security-group list", "[OPTIONS]", "list security groups", R, "northbound" },
	{ "security-group show", "NAME|ID", "show one security group", R, "northbound" },
	{ "security-group update", "NAME|ID [OPTIONS]", "change a security group", A,
	  "northbound" },
	{ "security-group delete", "NAME|ID", "delete a security group (and its rules)", A,
	  "northbound" },
	{ "security-group rule create",
	  "GROUP [--ingress|--egress] [--ethertype IPv4|IPv6] [--protocol P] "
	  "[--dst-port MIN[:MAX]] [--icmp-type T [--icmp-code C]] "
	  "[--remote-ip CIDR|--remote-group SG] [--description TEXT]",
	  "add a rule to a security group", A, "northbound" },
	{ "security-group rule list", "[--group SG]", "list security-group rules", R,
	  "northbound" },
	{ "security-group rule show", "RULE_ID", "show one security-group rule", R, "northbound" },
	{ "security-group rule delete", "RULE_ID", "delete a security-group rule", A,
	  "northbound" },
	{ "floating-ip create", "--network EXTERNAL [--address IP] [--port PORT]",
	  "create a floating IP (an address of the external network, bound to a port)", A,
	  "northbound" },
	{ "floating-ip list", "", "list floating IPs", R, "northbound" },
	{ "floating-ip show", "FIP", "show one floating IP (by id or address)", R, "northbound" },
	{ "floating-ip set", "FIP --port PORT|--no-port",
	  "bind a floating IP to a port (or move it), or unbind it", A, "northbound" },
	{ "floating-ip delete", "FIP", "delete a floating IP", A, "northbound" },
};

#undef R
#undef A

const struct ctrl_cmd_spec *ctrl_cmd_specs(size_t *n)
{
	*n = sizeof(specs) / sizeof(specs[0]);
	return specs;
}

/* Does argv start with the words of w?  Returns how many argv words. */
static int match_words(const char *w, int argc, char *const *argv)
{
	int k = 0;
	while (*w) {
		size_t len = strcspn(w, " ");
		if (k >= argc || strlen(argv[k]) != len || strncmp(argv[k], w, len) != 0)
			return 0;
		k++;
		w += len;
		while (*w == ' ')
			w++;
	}
	return k;
}

const struct ctrl_cmd_spec *ctrl_cmd_spec_find(int argc, char *const *argv, int *nwords)
{
	const struct ctrl_cmd_spec *best = NULL;
	int best_n = 0;
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		int n = match_words(specs[i].words, argc, argv);
		if (n > best_n) {
			best = &specs[i];
			best_n = n;
		}
	}
	if (nwords)
		*nwords = best_n;
	return best;
}

const struct ctrl_cmd_spec *ctrl_cmd_spec_get(const char *words)
{
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
		if (strcmp(specs[i].words, words) == 0)
			return &specs[i];
	return NULL;
}

unsigned ctrl_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned row[64];
	if (la >= 63 || lb >= 63)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned diag = row[0];
		row[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned up = row[j];
			unsigned sub = diag + (a[i - 1] != b[j - 1]);
			unsigned best = up + 1 < row[j - 1] + 1 ? up + 1 : row[j - 1] + 1;
			row[j] = sub < best ? sub : best;
			diag = up;
		}
	}
	return row[lb];
}

/* The first word of w into buf. */
static const char *first_word(const char *w, char *buf, size_t size)
{
	size_t len = strcspn(w, " ");
	snprintf(buf, size, "%.*s", (int)len, w);
	return buf;
}

const char *ctrl_cmd_suggest(int argc, char *const *argv)
{
	static __thread char out[96];
	const size_t n = sizeof(specs) / sizeof(specs[0]);
	char w0[48], fixed0[48];
	unsigned best = 3; /* at most two edits away */
	if (argc < 1)
		return NULL;
	/* the first word: exact, else the nearest known first word */
	fixed0[0] = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned d = ctrl_edit_distance(argv[0], first_word(specs[i].words, w0, sizeof(w0)));
		if (d < best) {
			best = d;
			snprintf(fixed0, sizeof(fixed0), "%s", w0);
		}
	}
	if (fixed0[0] == 0)
		return NULL;
	/* the second word among that first word's commands */
	const char *pick = NULL;
	best = argc > 1 ? 3 : 99;
	for (size_t i = 0; i < n; i++) {
		const char *w = specs[i].words;
		if (strcmp(first_word(w, w0, sizeof(w0)), fixed0) != 0)
			continue;
		const char *rest = w + strlen(w0);
		while (*rest == ' ')
			rest++;
		unsigned d = argc > 1 ? ctrl_edit_distance(argv[1], rest) : 0;
		if (*rest == 0 || pick == NULL || d < best) {
			if (d < best || pick == NULL) {
				best = d;
				pick = w;
			}
		}
	}
	if (pick == NULL)
		return NULL;
	/* one word typed: suggest the first word alone if it has several commands */
	if (argc == 1 && strchr(pick, ' ') != NULL)
		snprintf(out, sizeof(out), "%s", fixed0);
	else if (argc > 1 && best >= 3)
		snprintf(out, sizeof(out), "%s", fixed0);
	else
		snprintf(out, sizeof(out), "%s", pick);
	return out;
}

/* SPDX-License-Identifier: BSD-3-Clause
 * scripts/bench/dhcp_client.c — DHCP load client on a raw AF_PACKET socket
 * (run inside the client's namespace), built by scripts/bench/dhcp.sh with
 * ctrl/apps/dhcp_msg.c for message building and parsing.
 *
 *   dhcp_client -i IF -m MAC[,MAC..] latency N     one DISCOVER at a time,
 *        N samples of DISCOVER->OFFER (send to receipt, CLOCK_MONOTONIC)
 *   dhcp_client -i IF -m MAC[,MAC..] leases SECONDS [WINDOW]
 *        full DORA (DISCOVER, OFFER, REQUEST, ACK) with WINDOW transactions
 *        in flight, MACs round robin; a transaction not done in 200 ms is
 *        abandoned (counted)
 * Prints one line: "latency p50_us=.. p99_us=.. n=.. lost=.." or
 * "leases leases_per_s=.. leases=.. lost=.. seconds=..".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <linux/if_packet.h>
#include <linux/if_ether.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dhcp_msg.h"

#define MAX_MACS 1024
#define MAX_WIN 1024

static int fd, ifindex;
static uint8_t macs[MAX_MACS][6];
static unsigned n_macs;

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void send_msg(const uint8_t *mac, uint32_t xid, uint8_t type, uint32_t req_ip,
		     uint32_t sid)
{
	struct dhcp_msg m;
	memset(&m, 0, sizeof(m));
	m.op = 1;
	m.xid = xid;
	m.type = type;
	m.requested_ip = req_ip;
	m.server_id = sid;
	memcpy(m.chaddr, mac, 6);
	m.n_prl = 5;
	m.prl[0] = 1, m.prl[1] = 3, m.prl[2] = 6, m.prl[3] = 26, m.prl[4] = 121;
	struct dhcp_frame f = { .sport = 68, .dport = 67, .ip_dst = 0xffffffffu };
	memcpy(f.eth_src, mac, 6);
	memset(f.eth_dst, 0xff, 6);
	uint8_t buf[1500];
	size_t n = dhcp_build_frame(buf, sizeof(buf), &f, &m);
	struct sockaddr_ll sa = { .sll_family = AF_PACKET, .sll_ifindex = ifindex,
				  .sll_halen = 6 };
	memset(sa.sll_addr, 0xff, 6);
	if (sendto(fd, buf, n, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != ENOBUFS)
		perror("sendto");
}

/* Receive one server message (OFFER/ACK/NAK) within timeout_ms; 1 got, 0 none. */
static int recv_msg(int timeout_ms, struct dhcp_msg *m)
{
	static uint8_t buf[4096];
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, timeout_ms) <= 0)
			return 0;
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from,
				     &fl);
		if (n <= 0 || from.sll_pkttype == PACKET_OUTGOING)
			continue;
		struct dhcp_frame f;
		if (dhcp_parse_frame(buf, (size_t)n, false, &f, m) == 0)
			return 1;
		timeout_ms = 0;
	}
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int latency(unsigned n)
{
	double *s = calloc(n, sizeof(*s));
	unsigned got = 0, lost = 0;
	uint32_t xid = (uint32_t)getpid() << 12;
	for (unsigned i = 0; i < n; i++) {
		struct dhcp_msg m;
		uint32_t x = htonl(++xid);
		double t0 = now_us();
		send_msg(macs[i % n_macs], x, DHCP_DISCOVER, 0, 0);
		double t1 = 0;
		for (;;) {
			int left = 200 - (int)((now_us() - t0) / 1000);
			if (left <= 0 || !recv_msg(left, &m))
				break;
			if (m.xid == x && m.type == DHCP_OFFER) {
				t1 = now_us();
				break;
			}
		}
		if (t1 > 0)
			s[got++] = t1 - t0;
		else
			lost++;
	}
	qsort(s, got, sizeof(*s), cmp_d);
	printf("latency p50_us=%.1f p99_us=%.1f n=%u lost=%u\n", got ? s[got / 2] : -1.0,
	       got ? s[(size_t)(got * 0.99)] : -1.0, got, lost);
	free(s);
	return got ? 0 : 1;
}

static int leases(double seconds, unsigned win)
{
	struct tx {
		uint32_t xid;
		unsigned mac;
		int state;          /* 0 free, 1 discover sent, 2 request sent */
		double t;
	} t[MAX_WIN];
	memset(t, 0, sizeof(t));
	uint32_t xid = (uint32_t)getpid() << 12;
	unsigned next_mac = 0;
	uint64_t done = 0, lost = 0;
	double start = now_us(), end = start + seconds * 1e6;
	for (unsigned i = 0; i < win; i++) {
		t[i].xid = htonl(++xid);
		t[i].mac = next_mac++ % n_macs;
		t[i].state = 1;
		t[i].t = now_us();
		send_msg(macs[t[i].mac], t[i].xid, DHCP_DISCOVER, 0, 0);
	}
	double now;
	while ((now = now_us()) < end) {
		struct dhcp_msg m;
		if (recv_msg(5, &m)) {
			/* xid -> slot: xids are consecutive per restart; search */
			for (unsigned i = 0; i < win; i++) {
				if (t[i].xid != m.xid || t[i].state == 0)
					continue;
				if (t[i].state == 1 && m.type == DHCP_OFFER) {
					t[i].state = 2;
					send_msg(macs[t[i].mac], t[i].xid, DHCP_REQUEST, m.yiaddr,
						 m.server_id);
				} else if (t[i].state == 2 && m.type == DHCP_ACK) {
					done++;
					t[i].state = 0;
				} else if (m.type == DHCP_NAK) {
					lost++;
					t[i].state = 0;
				}
				break;
			}
		}
		now = now_us();
		for (unsigned i = 0; i < win; i++) {
			if (t[i].state != 0 && now - t[i].t > 200000) {
				lost++;
				t[i].state = 0;
			}
			if (t[i].state == 0) {
				t[i].xid = htonl(++xid);
				t[i].mac = next_mac++ % n_macs;
				t[i].state = 1;
				t[i].t = now;
				send_msg(macs[t[i].mac], t[i].xid, DHCP_DISCOVER, 0, 0);
			}
		}
	}
	double secs = (now_us() - start) / 1e6;
	printf("leases leases_per_s=%.0f leases=%llu lost=%llu seconds=%.2f\n", (double)done / secs,
	       (unsigned long long)done, (unsigned long long)lost, secs);
	return done ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *ifn = NULL, *maclist = NULL;
	int opt;
	while ((opt = getopt(argc, argv, "i:m:")) != -1) {
		if (opt == 'i')
			ifn = optarg;
		else if (opt == 'm')
			maclist = optarg;
	}
	if (!ifn || !maclist || optind >= argc) {
		fprintf(stderr, "usage: dhcp_client -i IF -m MAC[,MAC..] latency N | leases SECONDS [WINDOW]\n");
		return 2;
	}
	for (const char *p = maclist; *p && n_macs < MAX_MACS;) {
		unsigned b[6];
		if (sscanf(p, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
			return 2;
		for (int k = 0; k < 6; k++)
			macs[n_macs][k] = (uint8_t)b[k];
		n_macs++;
		p = strchr(p, ',');
		if (!p)
			break;
		p++;
	}
	ifindex = (int)if_nametoindex(ifn);
	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_IP));
	if (fd < 0 || ifindex == 0) {
		perror("socket/ifindex");
		return 1;
	}
	struct sockaddr_ll sa = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP),
				  .sll_ifindex = ifindex };
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("bind");
		return 1;
	}
	int rb = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rb, sizeof(rb));
	if (strcmp(argv[optind], "latency") == 0 && optind + 1 < argc)
		return latency((unsigned)atoi(argv[optind + 1]));
	if (strcmp(argv[optind], "leases") == 0 && optind + 1 < argc) {
		unsigned w = optind + 2 < argc ? (unsigned)atoi(argv[optind + 2]) : 16;
		return leases(atof(argv[optind + 1]), w < 1 ? 1 : w > MAX_WIN ? MAX_WIN : w);
	}
	fprintf(stderr, "unknown mode\n");
	return 2;
}

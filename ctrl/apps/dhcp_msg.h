/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/apps/dhcp_msg.h — DHCPv4 messages (RFC 2131/2132, 3442, 3396): parse and
 * build, as plain bytes.  No DPDK types, no allocation, no global state: any
 * thread may call anything here (the DHCP application calls it from the
 * control thread; the unit tests and the bench client link it alone).
 *
 * Parsing never trusts a length: every read is bounds-checked against the
 * buffer, and a message that is not well formed is rejected with a reason
 * (enum dhcp_err) that callers count.  Addresses are IPv4 in network order
 * (uint32_t as on the wire); a zero address means "absent".
 */
#ifndef WYV_CTRL_DHCP_MSG_H
#define WYV_CTRL_DHCP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68
#define DHCP_BOOTP_FIXED 236      /* op .. file */
#define DHCP_MAGIC 0x63825363u
#define DHCP_MIN_BOOTP 300        /* RFC 1542: pad replies to at least this */
#define DHCP_MAX_DNS 8
#define DHCP_MAX_ROUTES 32
#define DHCP_MAX_PRL 64
#define DHCP_DOMAIN_MAX 128
#define DHCP_MAX_OPTIONS 512      /* more options than this in one message: malformed */
#define DHCP_FRAME_HDRS (14 + 20 + 8)

enum dhcp_type {
	DHCP_DISCOVER = 1,
	DHCP_OFFER = 2,
	DHCP_REQUEST = 3,
	DHCP_DECLINE = 4,
	DHCP_ACK = 5,
	DHCP_NAK = 6,
	DHCP_RELEASE = 7,
	DHCP_INFORM = 8,
	DHCP_TYPE__MAX
};

/* Why a message was rejected.  0 is success; functions return -reason. */
enum dhcp_err {
	DHCP_OK = 0,
	DHCP_ERR_TRUNC_FRAME,     /* shorter than Ethernet + IPv4 + UDP */
	DHCP_ERR_NOT_IPV4,        /* ethertype not IPv4 (or VLAN tagged) */
	DHCP_ERR_BAD_IP,          /* version, IHL, total length, fragment */
	DHCP_ERR_NOT_UDP,
	DHCP_ERR_BAD_UDP,         /* UDP length inconsistent */
	DHCP_ERR_BAD_PORTS,       /* not the expected 68->67 (or 67->68) */
	DHCP_ERR_TRUNC_BOOTP,     /* fewer than 236 + 4 bytes of BOOTP */
	DHCP_ERR_BAD_HDR,         /* op, htype/hlen not Ethernet */
	DHCP_ERR_BAD_COOKIE,      /* magic cookie missing */
	DHCP_ERR_OPT_OVERRUN,     /* an option's length runs past the end */
	DHCP_ERR_NO_END,          /* options not terminated by END */
	DHCP_ERR_BAD_OPT,         /* known option with a wrong length / value */
	DHCP_ERR_TOO_MANY_OPTS,   /* more than DHCP_MAX_OPTIONS options */
	DHCP_ERR_NO_TYPE,         /* no message type (53): plain BOOTP */
	DHCP_ERR_BAD_TYPE,        /* message type unknown or wrong direction */
	DHCP_ERR__MAX
};

struct dhcp_route {               /* one classless static route (option 121) */
	uint32_t dst;             /* network order, host bits zero */
	uint8_t plen;
	uint32_t gw;
};

/* present bits for fields where zero is a valid value */
#define DHCP_HAS_LEASE (1u << 0)
#define DHCP_HAS_T1    (1u << 1)
#define DHCP_HAS_T2    (1u << 2)
#define DHCP_HAS_MTU   (1u << 3)
#define DHCP_HAS_MASK  (1u << 4)
#define DHCP_HAS_ROUTES (1u << 5) /* option 121 present (maybe empty) */

/* A BOOTP/DHCP message: the fixed header plus the options wyvern uses. */
struct dhcp_msg {
	uint8_t op;               /* 1 request, 2 reply */
	uint8_t htype, hlen, hops;
	uint32_t xid;             /* as on the wire */
	uint16_t secs;            /* network order */
	uint16_t flags;           /* host order; 0x8000 = broadcast */
	uint32_t ciaddr, yiaddr, siaddr, giaddr;
	uint8_t chaddr[16];
	uint8_t type;             /* option 53 */
	uint32_t present;         /* DHCP_HAS_* */
	uint32_t requested_ip;    /* 50 */
	uint32_t server_id;       /* 54 */
	uint32_t subnet_mask;     /* 1 */
	uint32_t router;          /* 3 (first) */
	uint32_t broadcast;       /* 28 */
	uint32_t lease, t1, t2;   /* 51, 58, 59 (seconds, host order) */
	uint16_t mtu;             /* 26 */
	uint16_t max_size;        /* 57 */
	uint8_t overload;         /* 52 */
	uint8_t n_dns;
	uint32_t dns[DHCP_MAX_DNS];             /* 6 */
	uint8_t n_routes;
	struct dhcp_route routes[DHCP_MAX_ROUTES]; /* 121 (249 when building) */
	uint8_t n_prl;
	uint8_t prl[DHCP_MAX_PRL];              /* 55 */
	char domain[DHCP_DOMAIN_MAX + 1];       /* 15 */
	unsigned n_options;       /* options seen while parsing */
};

/* The Ethernet/IPv4/UDP envelope of a DHCP message. */
struct dhcp_frame {
	uint8_t eth_dst[6], eth_src[6];
	uint32_t ip_src, ip_dst;  /* network order */
	uint16_t sport, dport;    /* host order */
	uint8_t ttl;              /* building: 0 means 64 */
};

/* Parse BOOTP + options (the UDP payload).  0 or -enum dhcp_err. m is
 * zeroed first; on error its content is unspecified. */
int dhcp_parse(const uint8_t *p, size_t len, struct dhcp_msg *m);

/* Parse a whole Ethernet frame carrying DHCP.  server_side: expect a
 * client's message (UDP 68->67, op 1) if true, a server's (67->68, op 2)
 * if false.  0 or -enum dhcp_err. */
int dhcp_parse_frame(const uint8_t *frame, size_t len, bool server_side, struct dhcp_frame *f,
		     struct dhcp_msg *m);

/* Build BOOTP + options from m into buf.  Options written when set: 53, 54,
 * 51/58/59, 1, 3, 6, 15, 26, 28, 121 + 249 (both, same content; split per
 * RFC 3396 when longer than 255), 50 and 55 (client messages), 57.  Padded to
 * DHCP_MIN_BOOTP bytes.  Returns the length, 0 when cap is too small. */
size_t dhcp_build(uint8_t *buf, size_t cap, const struct dhcp_msg *m);

/* Build a complete frame (Ethernet + IPv4 + UDP with checksums + BOOTP).
 * Returns the frame length, 0 when cap is too small. */
size_t dhcp_build_frame(uint8_t *buf, size_t cap, const struct dhcp_frame *f,
			const struct dhcp_msg *m);

/* Encode option 121's value for routes into out; returns bytes, 0 if cap is
 * too small (exported for tests). */
size_t dhcp_encode_routes(uint8_t *out, size_t cap, const struct dhcp_route *r, unsigned n);
/* Decode option 121's value; 0 or -DHCP_ERR_BAD_OPT. */
int dhcp_decode_routes(const uint8_t *v, size_t len, struct dhcp_route *r, unsigned max,
		       uint8_t *n);

const char *dhcp_type_name(unsigned type);   /* "discover", ..., "?" */
const char *dhcp_err_name(unsigned err);     /* "bad-cookie", ..., never NULL */

#endif

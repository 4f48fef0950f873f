/* SPDX-License-Identifier: BSD-3-Clause
 * dp/ct_tcp.c — the TCP state machine with window tracking.
 *
 * Each direction ("peer" = its sender) keeps: end (highest seq+len sent),
 * maxend (the right edge the other side allowed: its ack + window), maxwin
 * (largest window it advertised, scaled) and its window-scale option.  A
 * segment from s to r is in window when (the classic four bounds of
 * stateful TCP filtering, with sequence arithmetic mod 2^32):
 *   seq + len <= s.maxend                  (fits the receiver's window)
 *   seq       >= s.end - max(r.maxwin, 1)  (not older than one window: a
 *                                           retransmit is fine)
 *   ack       <= r.end                     (acks nothing unsent)
 *   ack       >= r.end - max(s.maxwin, 66000) (not an ancient ack)
 * Window scaling applies only when both SYNs carried the option, and never
 * to the SYNs' own windows.  An out-of-window segment is invalid and changes
 * nothing.  tcp_liberal accepts out-of-window data/ACKs (still tracking the
 * edges); a RST is accepted only in window in both modes (RFC 5961 spirit:
 * a blind RST must not cut a connection).
 *
 * Connection states (dp_ct_tcp_state), each with its timeout:
 *   SYN_SENT     original SYN seen (retransmits refresh it)
 *   SYN_RECV     SYN-ACK seen, or simultaneous open (both SYNs, no ACKs)
 *   ESTABLISHED  both SYNs acked
 *   FIN_WAIT     a FIN seen, not both FINs acked
 *   TIME_WAIT    both FINs acked
 *   CLOSE        a valid RST
 * A RST+ACK acking the SYN (a refused connection) is valid and closes.
 * States only move forward.  A SYN (no ACK) on a TIME_WAIT or CLOSE
 * connection is a reopen (ct.c replaces the connection on commit).  Flag
 * combinations no stack sends (SYN+FIN, SYN+RST, FIN+RST, no flags, data or
 * FIN without ACK) are invalid.  Only a SYN without ACK starts a
 * connection.  Called with the connection's lock held.
 */
#include <string.h>
#include <netinet/in.h>

#include <rte_byteorder.h>

#include "ct_priv.h"

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10

#define SEQ_LEQ(a, b) ((int32_t)((a) - (b)) <= 0)
#define SEQ_GEQ(a, b) ((int32_t)((a) - (b)) >= 0)
#define CT_MAXACKWIN 66000u

struct ct_tcp_seg {
	uint32_t seq, ack, win, plen;
	int wscale;                /* -1: no option */
	uint16_t flags;
};

static int ct_tcp_read(const struct ct_pkt *p, struct ct_tcp_seg *g)
{
	uint8_t buf[60];
	const uint8_t *h = ct_read(p->m, p->l4_off, 20, buf);
	unsigned doff;
	uint32_t v;
	uint16_t w;

	if (h == NULL)
		return -1;
	doff = (h[12] >> 4) * 4u;
	if (doff < 20 || doff > p->l4_len)
		return -1;
	memcpy(&v, h + 4, 4);
	g->seq = rte_be_to_cpu_32(v);
	memcpy(&v, h + 8, 4);
	g->ack = rte_be_to_cpu_32(v);
	memcpy(&w, h + 14, 2);
	g->win = rte_be_to_cpu_16(w);
	g->flags = p->tcp_flags;
	g->plen = p->l4_len - doff;
	g->wscale = -1;
	if ((g->flags & TH_SYN) && doff > 20) {
		const uint8_t *o = ct_read(p->m, p->l4_off, doff, buf);
		if (o == NULL)
			return -1;
		for (unsigned i = 20; i < doff;) {
			if (o[i] == 0)
				break;
			if (o[i] == 1) {
				i++;
				continue;
			}
			if (i + 1 >= doff || o[i + 1] < 2 || i + o[i + 1] > doff)
				break; /* malformed options: ignore the rest */
			if (o[i] == 3 && o[i + 1] == 3)
				g->wscale = o[i + 2] > 14 ? 14 : o[i + 2];
			i += o[i + 1];
		}
	}
	return 0;
}

static bool ct_tcp_flags_ok(uint16_t f)
{
	if ((f & (TH_SYN | TH_FIN)) == (TH_SYN | TH_FIN) ||
	    (f & (TH_SYN | TH_RST)) == (TH_SYN | TH_RST) ||
	    (f & (TH_FIN | TH_RST)) == (TH_FIN | TH_RST))
		return false;
	if ((f & (TH_SYN | TH_FIN | TH_RST | TH_ACK)) == 0)
		return false; /* null scan, or data without ACK */
	if ((f & TH_FIN) && !(f & TH_ACK))
		return false;
	return true;
}

bool ct_tcp_valid_new(const struct ct_pkt *p)
{
	uint16_t f = p->tcp_flags;
	return (f & (TH_SYN | TH_ACK | TH_RST | TH_FIN)) == TH_SYN;
}

static uint64_t ct_tcp_timeout(const struct dp_ct *ct, uint8_t st)
{
	const struct dp_ct_timeouts *t = &ct->to;
	switch (st) {
	case DP_CT_TCP_SYN_SENT: return ct_sec(ct_rd_relaxed(&t->tcp_syn_sent));
	case DP_CT_TCP_SYN_RECV: return ct_sec(ct_rd_relaxed(&t->tcp_syn_recv));
	case DP_CT_TCP_ESTABLISHED: return ct_sec(ct_rd_relaxed(&t->tcp_established));
	case DP_CT_TCP_FIN_WAIT: return ct_sec(ct_rd_relaxed(&t->tcp_fin_wait));
	case DP_CT_TCP_TIME_WAIT: return ct_sec(ct_rd_relaxed(&t->tcp_time_wait));
	default: return ct_sec(ct_rd_relaxed(&t->tcp_close));
	}
}

/* A peer's first SYN (with or without ACK). */
static void ct_tcp_peer_syn(struct ct_tcp_peer *s, const struct ct_tcp_seg *g)
{
	memset(s, 0, sizeof(*s));
	s->end = g->seq + 1 + g->plen;
	s->syn_end = g->seq + 1;
	s->maxend = s->end;
	s->maxwin = g->win ? g->win : 1;
	s->flags = CT_TP_SEEN | CT_TP_SYN;
	if (g->wscale >= 0) {
		s->flags |= CT_TP_WSCALE;
		s->wscale = (uint8_t)g->wscale;
	}
}

void ct_tcp_init(struct dp_ct *ct, struct ct_conn *c, const struct ct_pkt *p, uint64_t now)
{
	struct ct_tcp_seg g;

	if (ct_tcp_read(p, &g) != 0)
		memset(&g, 0, sizeof(g)); /* valid_new checked flags; header was read by parse */
	ct_tcp_peer_syn(&c->tcp[0], &g);
	c->proto_state = DP_CT_TCP_SYN_SENT;
	c->expires = now + ct_tcp_timeout(ct, c->proto_state);
}

/* ack covers r's SYN and nothing r has not sent */
static bool ct_tcp_acks_syn(const struct ct_tcp_peer *r, uint32_t ack)
{
	return (r->flags & CT_TP_SYN) && SEQ_GEQ(ack, r->syn_end) && SEQ_LEQ(ack, r->end);
}

static void ct_tcp_set_state(struct ct_conn *c, uint8_t st)
{
	if (st > c->proto_state)
		c->proto_state = st;
}

enum ct_upd ct_tcp_update(struct dp_ct *ct, struct ct_conn *c, const struct ct_pkt *p, int dir,
			  uint64_t now)
{
	struct ct_tcp_peer *s = &c->tcp[dir], *r = &c->tcp[!dir];
	bool liberal = __atomic_load_n(&ct->tcp_liberal, __ATOMIC_RELAXED);
	struct ct_tcp_seg g;
	uint32_t end, win, ackwin;
	bool in_win;

	if (ct_tcp_read(p, &g) != 0 || !ct_tcp_flags_ok(g.flags))
		return CT_UPD_INVALID;

	if (g.flags & TH_SYN) {
		if (!(g.flags & TH_ACK) && c->proto_state >= DP_CT_TCP_TIME_WAIT)
			return CT_UPD_REOPEN;
		if (!(s->flags & CT_TP_SEEN)) {
			/* the reply side's first SYN: SYN-ACK, or simultaneous open */
			if ((g.flags & TH_ACK) && !ct_tcp_acks_syn(r, g.ack))
				return CT_UPD_INVALID;
			ct_tcp_peer_syn(s, &g);
			if (!(s->flags & CT_TP_WSCALE) || !(r->flags & CT_TP_WSCALE))
				s->wscale = r->wscale = 0;
			s->maxend = s->end + r->maxwin;
			if (g.flags & TH_ACK) {
				r->flags |= CT_TP_SYN_ACK;
				if (SEQ_GEQ(g.ack + s->maxwin, r->maxend))
					r->maxend = g.ack + s->maxwin;
			}
			ct_tcp_set_state(c, DP_CT_TCP_SYN_RECV);
			goto valid;
		}
		/* a retransmitted SYN / SYN-ACK: same ISN only */
		if (!(s->flags & CT_TP_SYN) || g.seq + 1 + g.plen != s->end ||
		    (!(g.flags & TH_ACK) && c->proto_state >= DP_CT_TCP_ESTABLISHED)) {
			if (dir == 0 && c->proto_state == DP_CT_TCP_SYN_SENT &&
			    !(g.flags & TH_ACK)) {
				/* a new attempt with a new ISN before any answer */
				ct_tcp_peer_syn(s, &g);
				goto valid;
			}
			return CT_UPD_INVALID;
		}
		if ((g.flags & TH_ACK) && (r->flags & CT_TP_SEEN)) {
			if (!ct_tcp_acks_syn(r, g.ack))
				return CT_UPD_INVALID;
			r->flags |= CT_TP_SYN_ACK;
			win = g.win ? g.win : 1;
			if (SEQ_GEQ(g.ack + win, r->maxend))
				r->maxend = g.ack + win;
			if ((s->flags & CT_TP_SYN_ACK) && (r->flags & CT_TP_SYN_ACK))
				ct_tcp_set_state(c, DP_CT_TCP_ESTABLISHED);
		}
		goto valid;
	}

	if (!(s->flags & CT_TP_SEEN) || !(r->flags & CT_TP_SEEN)) {
		/* "connection refused": the answer to a SYN is RST+ACK acking it */
		if ((g.flags & (TH_RST | TH_ACK)) == (TH_RST | TH_ACK) &&
		    !(s->flags & CT_TP_SEEN) && ct_tcp_acks_syn(r, g.ack)) {
			ct_tcp_set_state(c, DP_CT_TCP_CLOSE);
			goto valid;
		}
		return CT_UPD_INVALID; /* nothing but a SYN before the other side spoke */
	}

	win = g.win << s->wscale;
	end = g.seq + g.plen + ((g.flags & TH_FIN) ? 1 : 0);
	ackwin = s->maxwin > CT_MAXACKWIN ? s->maxwin : CT_MAXACKWIN;
	in_win = SEQ_LEQ(end, s->maxend) &&
		 SEQ_GEQ(g.seq, s->end - (r->maxwin ? r->maxwin : 1));
	if (g.flags & TH_RST) {
		if (!in_win)
			return CT_UPD_INVALID;
		ct_tcp_set_state(c, DP_CT_TCP_CLOSE);
		goto valid;
	}
	in_win = in_win && SEQ_LEQ(g.ack, r->end) && SEQ_GEQ(g.ack, r->end - ackwin);
	if (!in_win && !liberal)
		return CT_UPD_INVALID;

	if (SEQ_GEQ(end, s->end))
		s->end = end;
	if (win > s->maxwin)
		s->maxwin = win;
	if (!win)
		win = 1;
	if (SEQ_GEQ(g.ack + win, r->maxend))
		r->maxend = g.ack + win;
	if ((g.flags & TH_ACK) && ct_tcp_acks_syn(r, g.ack))
		r->flags |= CT_TP_SYN_ACK;
	if ((r->flags & CT_TP_FIN) && SEQ_GEQ(g.ack, r->fin_end))
		r->flags |= CT_TP_FIN_ACK;
	if ((g.flags & TH_FIN) && !(s->flags & CT_TP_FIN)) {
		s->flags |= CT_TP_FIN;
		s->fin_end = end;
	}
	if ((s->flags & CT_TP_SYN_ACK) && (r->flags & CT_TP_SYN_ACK))
		ct_tcp_set_state(c, DP_CT_TCP_ESTABLISHED);
	if ((s->flags | r->flags) & CT_TP_FIN)
		ct_tcp_set_state(c, DP_CT_TCP_FIN_WAIT);
	if ((s->flags & CT_TP_FIN_ACK) && (r->flags & CT_TP_FIN_ACK))
		ct_tcp_set_state(c, DP_CT_TCP_TIME_WAIT);
valid:
	__atomic_store_n(&c->expires, now + ct_tcp_timeout(ct, c->proto_state), __ATOMIC_RELAXED);
	return CT_UPD_VALID;
}

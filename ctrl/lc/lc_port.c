/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/lc/lc_port.c — a port as the controller keeps it (struct lc_port)
 * and the strings it shares with other ports (lc_intern).
 *
 * Ports are the objects there are 100k of, so the controller does not keep
 * the model's decoded struct mdl_port (five 256-byte name fields, 1.5 KB)
 * for them: lc_obj_set decodes into it, moves the address pairs out and
 * keeps the strings interned — a network id, a subnet id, a host, a device
 * owner or a group id is held once, however many ports name it.  The MAC
 * and the fixed IPs are kept binary (their text when it is not canonical:
 * lc_priv.h).  The fixed IPs, the list of group ids, and the two strings
 * that are the port's own (name, device id: interning them cost two
 * allocations and a table entry each) sit in the record's own allocation
 * (port_seal).  Every other
 * type keeps its decoded model struct (there are few of them).
 *
 * Control thread only, as everything in struct lc.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lc_priv.h"
#include "mac_fmt.h"

/* ---- interned strings ---------------------------------------------------- */
struct lc_str {
	struct lc_str *next;
	uint64_t hash;
	uint32_t refs;
	char s[];
};

struct lc_strtab {
	struct lc_str **b;
	size_t n_b, n;
};

static const char lc_empty[1] = "";

static struct lc_str *str_of(const char *s)
{
	return (struct lc_str *)(void *)((char *)(uintptr_t)s - offsetof(struct lc_str, s));
}

static int strtab_grow(struct lc_strtab *t, size_t min)
{
	size_t nb = t->n_b ? t->n_b * 2 : 1024;
	while (nb < min)
		nb *= 2;
	struct lc_str **b = calloc(nb, sizeof(*b));
	if (b == NULL)
		return -1;
	for (size_t i = 0; i < t->n_b; i++)
		for (struct lc_str *e = t->b[i], *nx; e; e = nx) {
			nx = e->next;
			e->next = b[e->hash & (nb - 1)];
			b[e->hash & (nb - 1)] = e;
		}
	free(t->b);
	t->b = b;
	t->n_b = nb;
	return 0;
}

/* The string table, made at first use (NULL: no memory). */
static struct lc_strtab *strtab(struct lc *lc)
{
	if (lc->strs == NULL)
		lc->strs = calloc(1, sizeof(*lc->strs));
	return lc->strs;
}

const char *lc_intern(struct lc *lc, const char *s)
{
	if (s == NULL || s[0] == 0)
		return lc_empty;
	struct lc_strtab *t = strtab(lc);
	if (t == NULL)
		return NULL;
	if (t->n >= t->n_b && strtab_grow(t, 0) < 0 && t->n_b == 0)
		return NULL;
	size_t len = strlen(s);
	uint64_t h = lc_fnv(s, len, LC_FNV_BASIS);
	struct lc_str **head = &t->b[h & (t->n_b - 1)];
	for (struct lc_str *e = *head; e; e = e->next)
		if (e->hash == h && strcmp(e->s, s) == 0) {
			e->refs++;
			return e->s;
		}
	struct lc_str *e = malloc(sizeof(*e) + len + 1);
	if (e == NULL)
		return NULL;
	e->hash = h;
	e->refs = 1;
	memcpy(e->s, s, len + 1);
	e->next = *head;
	*head = e;
	t->n++;
	return e->s;
}

const char *lc_intern_find(const struct lc *lc, const char *s)
{
	if (s == NULL || s[0] == 0)
		return lc_empty;
	const struct lc_strtab *t = lc->strs;
	if (t == NULL || t->n_b == 0)
		return NULL;
	uint64_t h = lc_fnv(s, strlen(s), LC_FNV_BASIS);
	for (const struct lc_str *e = t->b[h & (t->n_b - 1)]; e; e = e->next)
		if (e->hash == h && strcmp(e->s, s) == 0)
			return e->s;
	return NULL;
}

void lc_intern_reserve(struct lc *lc, size_t n)
{
	struct lc_strtab *t = strtab(lc);
	if (t != NULL && n > t->n_b)
		strtab_grow(t, n);   /* a failure: it grows as it goes */
}

void lc_unintern(struct lc *lc, const char *s)
{
	if (s == NULL || s == lc_empty)
		return;
	struct lc_str *x = str_of(s);
	if (--x->refs)
		return;
	struct lc_strtab *t = lc->strs;
	for (struct lc_str **pp = &t->b[x->hash & (t->n_b - 1)]; *pp; pp = &(*pp)->next)
		if (*pp == x) {
			*pp = x->next;
			t->n--;
			free(x);
			return;
		}
}

size_t lc_intern_count(const struct lc *lc)
{
	return lc->strs ? lc->strs->n : 0;
}

size_t lc_msize(const void *p)
{
	return p ? malloc_usable_size((void *)(uintptr_t)p) + sizeof(size_t) : 0;
}

size_t lc_intern_bytes(const struct lc *lc)
{
	const struct lc_strtab *t = lc->strs;
	if (t == NULL)
		return 0;
	size_t b = lc_msize(t) + lc_msize(t->b);
	for (size_t i = 0; i < t->n_b; i++)
		for (const struct lc_str *e = t->b[i]; e; e = e->next)
			b += lc_msize(e);
	return b;
}

void lc_intern_free(struct lc *lc)
{
	struct lc_strtab *t = lc->strs;
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n_b; i++)
		for (struct lc_str *e = t->b[i], *nx; e; e = nx) {
			nx = e->next;
			free(e);
		}
	free(t->b);
	free(t);
	lc->strs = NULL;
}

/* ---- ports ----------------------------------------------------------------- */
/* text is what dp_mac_format writes, the text Neutron writes for a MAC:
 * lower-case hex, colons (for a text rte_ether_unformat_addr took) */
static bool mac_canonical(const char *text)
{
	for (unsigned i = 0; i < 17; i++)
		if (i % 3 == 2 ? text[i] != ':'
			       : !((text[i] >= '0' && text[i] <= '9') ||
				   (text[i] >= 'a' && text[i] <= 'f')))
			return false;
	return text[17] == 0;
}

/* An address (plen 32 or 128) as inet_ntop writes it.  The canonical test
 * of set_ip runs it for every address of a full sync: IPv4 without printf
 * (glibc's inet_ntop for IPv4 is a sprintf). */
static void ip_format(const struct dp_ip *ip, char *buf)
{
	if (ip->family == 4) {
		char *o = buf;
		for (unsigned i = 0; i < 4; i++) {
			unsigned v = ip->addr[i];
			if (v >= 100)
				*o++ = (char)('0' + v / 100);
			if (v >= 10)
				*o++ = (char)('0' + v / 10 % 10);
			*o++ = (char)('0' + v % 10);
			*o++ = i < 3 ? '.' : 0;
		}
	} else if (inet_ntop(AF_INET6, ip->addr, buf, MDL_IP_SIZE) == NULL) {
		buf[0] = 0;
	}
}

int lc_port_mac(const struct lc_port *p, struct rte_ether_addr *mac)
{
	if (p->mac_text == NULL) {
		*mac = p->mac;
		return 0;
	}
	return rte_ether_unformat_addr(p->mac_text, mac) < 0 ? -EINVAL : 0;
}

const char *lc_port_mac_text(const struct lc_port *p, char *buf)
{
	return p->mac_text ? p->mac_text : dp_mac_format(buf, p->mac.addr_bytes);
}

int lc_port_ip(const struct lc_fixed_ip *f, struct dp_ip *ip)
{
	if (f->ip.family) {
		*ip = f->ip;
		return 0;
	}
	return lc_ip_parse(f->odd.text, ip) < 0 ? -EINVAL : 0;
}

const char *lc_port_ip_text(const struct lc_fixed_ip *f, char *buf)
{
	if (f->ip.family == 0)
		return f->odd.text;
	ip_format(&f->ip, buf);
	return buf;
}

/* p's MAC from its text: binary when the text is the canonical one. */
static int set_mac(struct lc *lc, struct lc_port *p, const char *text)
{
	if (rte_ether_unformat_addr(text, &p->mac) == 0 && mac_canonical(text))
		return 0;
	memset(&p->mac, 0, sizeof(p->mac));
	p->mac_text = lc_intern(lc, text);
	return p->mac_text ? 0 : -ENOMEM;
}

/* f from its subnet and text: binary when the text is an address written
 * as inet_ntop writes it. */
static int set_ip(struct lc *lc, struct lc_fixed_ip *f, const char *subnet, const char *text)
{
	char canon[MDL_IP_SIZE];
	memset(f, 0, sizeof(*f));
	f->subnet_id = lc_intern(lc, subnet);
	if (f->subnet_id == NULL)
		return -ENOMEM;
	if (lc_ip_parse(text, &f->ip) == 0 && f->ip.plen == (f->ip.family == 4 ? 32 : 128)) {
		ip_format(&f->ip, canon);
		if (strcmp(canon, text) == 0)
			return 0;
	}
	memset(&f->ip, 0, sizeof(f->ip));
	f->odd.family = 0;
	f->odd.text = lc_intern(lc, text);
	return f->odd.text ? 0 : -ENOMEM;
}

/* A record for n fixed IPs, zeroed (NULL: no memory). */
static struct lc_port *port_alloc(size_t n_ips)
{
	return calloc(1, sizeof(struct lc_port) + n_ips * sizeof(struct lc_fixed_ip));
}

/* p's interned strings given back (not its lists': lc_port_free). */
static void port_strs_drop(struct lc *lc, const struct lc_port *p)
{
	const char *strs[] = { p->project_id, p->network_id, p->device_owner,
			       p->binding_host_id, p->mac_text };
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		lc_unintern(lc, strs[i]);
}

void lc_port_free(struct lc *lc, struct lc_port *p)
{
	if (p == NULL)
		return;
	port_strs_drop(lc, p);
	for (size_t i = 0; i < p->n_security_groups; i++)
		lc_unintern(lc, p->security_groups[i]);
	for (size_t i = 0; i < p->n_fixed_ips; i++) {
		lc_unintern(lc, p->fixed_ips[i].subnet_id);
		if (p->fixed_ips[i].ip.family == 0)
			lc_unintern(lc, p->fixed_ips[i].odd.text);
	}
	free(p->allowed_address_pairs);
	free(p);
}

/* The record made whole: after its fixed IPs, in the same allocation, the
 * security-group ids sgs[0..n_sg) (interned references, moved in: a port
 * has its own list, the ids are shared), then its name and device id (its
 * own strings: one allocation per port instead of two interned strings,
 * some 100 bytes a port).  p may move: the result replaces it.  NULL: no
 * memory, p and the references freed.  Before this, p has no groups and
 * name and device_id are unset. */
static struct lc_port *port_seal(struct lc *lc, struct lc_port *p, const char *name,
				 const char *device_id, const char *const *sgs, size_t n_sg)
{
	size_t at = sizeof(*p) + p->n_fixed_ips * sizeof(p->fixed_ips[0]);
	size_t nl = strnlen(name, MDL_NAME_SIZE - 1), dl = strnlen(device_id, MDL_NAME_SIZE - 1);
	struct lc_port *q = realloc(p, at + n_sg * sizeof(sgs[0]) + nl + dl + 2);
	if (q == NULL) {
		lc_port_free(lc, p);
		for (size_t i = 0; i < n_sg; i++)
			lc_unintern(lc, sgs[i]);
		return NULL;
	}
	char *b = (char *)q + at;
	if (n_sg) {
		q->security_groups = (const char **)(void *)b;
		memcpy(q->security_groups, sgs, n_sg * sizeof(sgs[0]));
	}
	q->n_security_groups = (uint16_t)n_sg;
	b += n_sg * sizeof(sgs[0]);
	memcpy(b, name, nl);
	b[nl] = 0;
	q->name = b;
	b += nl + 1;
	memcpy(b, device_id, dl);
	b[dl] = 0;
	q->device_id = b;
	return q;
}

struct lc_port *lc_port_from_mdl(struct lc *lc, struct mdl_port *m, char *err, size_t size)
{
	const char *list = m->n_fixed_ips > LC_PORT_MAX_LIST ? "fixed_ips"
			   : m->n_allowed_address_pairs > LC_PORT_MAX_LIST ? "allowed_address_pairs"
			   : m->n_security_groups > LC_PORT_MAX_LIST ? "security_groups" : NULL;
	if (list) {
		snprintf(err, size, "%s: more than %d entries", list, LC_PORT_MAX_LIST);
		return NULL;
	}
	struct lc_port *p = port_alloc(m->n_fixed_ips);
	if (p == NULL) {
		snprintf(err, size, "out of memory");
		return NULL;
	}
	p->hdr = m->hdr;
	p->hdr.attrs = NULL;             /* the API's attributes: not compiled */
	p->project_id = lc_intern(lc, m->project_id);
	p->network_id = lc_intern(lc, m->network_id);
	p->device_owner = lc_intern(lc, m->device_owner);
	p->binding_host_id = lc_intern(lc, m->binding_host_id);
	p->port_security_enabled = m->port_security_enabled;
	p->admin_state_up = m->admin_state_up;
	/* the address pairs move over (the model frees a NULL list as empty) */
	p->allowed_address_pairs = m->allowed_address_pairs;
	p->n_allowed_address_pairs = (uint16_t)m->n_allowed_address_pairs;
	m->allowed_address_pairs = NULL;
	m->n_allowed_address_pairs = 0;
	bool ok = p->project_id && p->network_id && p->device_owner && p->binding_host_id &&
		  set_mac(lc, p, m->mac_address) == 0;
	for (size_t i = 0; ok && i < m->n_fixed_ips; i++) {
		ok = set_ip(lc, &p->fixed_ips[i], m->fixed_ips[i].subnet_id,
			    m->fixed_ips[i].ip_address) == 0;
		p->n_fixed_ips = (uint16_t)(i + 1);   /* what lc_port_free unterns */
	}
	const char *sgs[LC_PORT_MAX_LIST];
	size_t n_sg = 0;
	for (; ok && n_sg < m->n_security_groups; n_sg++)
		if ((sgs[n_sg] = lc_intern(lc, m->security_groups[n_sg])) == NULL)
			ok = false;
	if (!ok) {
		for (size_t i = 0; i < n_sg; i++)
			lc_unintern(lc, sgs[i]);   /* the failed one is NULL */
		lc_port_free(lc, p);
	} else {
		p = port_seal(lc, p, m->name, m->device_id, sgs, n_sg);
	}
	if (!ok || p == NULL) {
		snprintf(err, size, "out of memory");
		return NULL;
	}
	return p;
}

struct mdl_port *lc_port_to_mdl(const struct lc_port *p)
{
	struct mdl_hdr *h = mdl_obj_alloc(MDL_PORT);
	if (h == NULL)
		return NULL;
	struct mdl_port *m = mdl_hdr_to_port(h);
	json_t *attrs = h->attrs;
	m->hdr = p->hdr;
	m->hdr.attrs = attrs;
	snprintf(m->name, sizeof(m->name), "%s", p->name);
	snprintf(m->project_id, sizeof(m->project_id), "%s", p->project_id);
	snprintf(m->network_id, sizeof(m->network_id), "%s", p->network_id);
	snprintf(m->device_owner, sizeof(m->device_owner), "%s", p->device_owner);
	snprintf(m->device_id, sizeof(m->device_id), "%s", p->device_id);
	snprintf(m->binding_host_id, sizeof(m->binding_host_id), "%s", p->binding_host_id);
	char buf[MDL_IP_SIZE];
	snprintf(m->mac_address, sizeof(m->mac_address), "%s", lc_port_mac_text(p, buf));
	m->port_security_enabled = p->port_security_enabled;
	m->admin_state_up = p->admin_state_up;
	bool ok = true;
	if (p->n_fixed_ips) {
		m->fixed_ips = calloc(p->n_fixed_ips, sizeof(*m->fixed_ips));
		if ((ok = m->fixed_ips != NULL)) {
			for (size_t i = 0; i < p->n_fixed_ips; i++) {
				const struct lc_fixed_ip *f = &p->fixed_ips[i];
				snprintf(m->fixed_ips[i].subnet_id, MDL_ID_SIZE, "%s", f->subnet_id);
				snprintf(m->fixed_ips[i].ip_address, MDL_IP_SIZE, "%s",
					 lc_port_ip_text(f, buf));
			}
			m->n_fixed_ips = p->n_fixed_ips;
		}
	}
	if (ok && p->n_allowed_address_pairs) {
		size_t sz = p->n_allowed_address_pairs * sizeof(*m->allowed_address_pairs);
		m->allowed_address_pairs = malloc(sz);
		if ((ok = m->allowed_address_pairs != NULL)) {
			memcpy(m->allowed_address_pairs, p->allowed_address_pairs, sz);
			m->n_allowed_address_pairs = p->n_allowed_address_pairs;
		}
	}
	if (ok && p->n_security_groups) {
		m->security_groups = calloc(p->n_security_groups, sizeof(*m->security_groups));
		if ((ok = m->security_groups != NULL)) {
			for (size_t i = 0; i < p->n_security_groups; i++)
				snprintf(m->security_groups[i], sizeof(m->security_groups[i]), "%s",
					 p->security_groups[i]);
			m->n_security_groups = p->n_security_groups;
		}
	}
	if (!ok) {
		mdl_obj_free(h);
		return NULL;
	}
	return m;
}

/* ---- the replica's binary form ------------------------------------------- */
/* LC_PORT_BIN, then: id, dp_key (32 bits), version (64), flags (bit 0 port
 * security, bit 1 admin up, bit 2 the MAC as text), the strings name,
 * project_id, network_id, device_owner, device_id, binding_host_id, the
 * MAC (6 bytes, or its text with bit 2), then the counts (le16) and
 * entries of fixed_ips (subnet_id, a byte 4 or 6 and the address's 4 or 16
 * bytes, or 0 and the text as stored), address pairs (ip_address,
 * mac_address) and security groups.  A string is a length byte and its
 * bytes (the longest, a name, has 255).  Integers are little endian.
 * LC_PORT_BIN_V1, which replicas written before the binary record hold,
 * is read too: the MAC and the fixed IPs' addresses are text there.
 * Only the replica holds it: the central db's values are always JSON. */
struct bin_w {
	char *b;
	size_t n, cap;
	bool bad;
};

static void w_bytes(struct bin_w *w, const void *p, size_t n)
{
	if (w->bad)
		return;
	if (w->n + n > w->cap) {
		size_t cap = (w->cap + n) * 2 < 256 ? 256 : (w->cap + n) * 2;
		char *b = realloc(w->b, cap);
		if (b == NULL) {
			w->bad = true;
			return;
		}
		w->b = b;
		w->cap = cap;
	}
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

static void w_uint(struct bin_w *w, uint64_t v, unsigned bytes)
{
	uint8_t b[8];
	for (unsigned i = 0; i < bytes; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	w_bytes(w, b, bytes);
}

static void w_str(struct bin_w *w, const char *s, size_t max)
{
	size_t n = strnlen(s, max - 1);     /* max <= 256: one length byte */
	w_uint(w, n, 1);
	w_bytes(w, s, n);
}

char *lc_port_encode(const struct lc_port *p, size_t *len)
{
	struct bin_w w = { 0 };
	w_uint(&w, LC_PORT_BIN, 1);
	w_str(&w, p->hdr.id, MDL_ID_SIZE);
	w_uint(&w, p->hdr.dp_key, 4);
	w_uint(&w, p->hdr.version, 8);
	w_uint(&w, (p->port_security_enabled ? 1u : 0u) | (p->admin_state_up ? 2u : 0u) |
			   (p->mac_text ? 4u : 0u), 1);
	w_str(&w, p->name, MDL_NAME_SIZE);
	w_str(&w, p->project_id, MDL_NAME_SIZE);
	w_str(&w, p->network_id, MDL_ID_SIZE);
	w_str(&w, p->device_owner, MDL_NAME_SIZE);
	w_str(&w, p->device_id, MDL_NAME_SIZE);
	w_str(&w, p->binding_host_id, MDL_NAME_SIZE);
	if (p->mac_text)
		w_str(&w, p->mac_text, MDL_MAC_SIZE);
	else
		w_bytes(&w, p->mac.addr_bytes, 6);
	w_uint(&w, p->n_fixed_ips, 2);
	for (size_t i = 0; i < p->n_fixed_ips; i++) {
		const struct lc_fixed_ip *f = &p->fixed_ips[i];
		w_str(&w, f->subnet_id, MDL_ID_SIZE);
		w_uint(&w, f->ip.family, 1);
		if (f->ip.family)
			w_bytes(&w, f->ip.addr, f->ip.family == 4 ? 4 : 16);
		else
			w_str(&w, f->odd.text, MDL_IP_SIZE);
	}
	w_uint(&w, p->n_allowed_address_pairs, 2);
	for (size_t i = 0; i < p->n_allowed_address_pairs; i++) {
		w_str(&w, p->allowed_address_pairs[i].ip_address, MDL_CIDR_SIZE);
		w_str(&w, p->allowed_address_pairs[i].mac_address, MDL_MAC_SIZE);
	}
	w_uint(&w, p->n_security_groups, 2);
	for (size_t i = 0; i < p->n_security_groups; i++)
		w_str(&w, p->security_groups[i], MDL_ID_SIZE);
	if (w.bad) {
		free(w.b);
		return NULL;
	}
	*len = w.n;
	return w.b;
}

struct bin_r {
	const uint8_t *b;
	size_t n, at;
	bool bad;
};

static uint64_t r_uint(struct bin_r *r, unsigned bytes)
{
	uint64_t v = 0;
	if (r->bad || r->n - r->at < bytes) {
		r->bad = true;
		return 0;
	}
	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)r->b[r->at + i] << (8 * i);
	r->at += bytes;
	return v;
}

/* A string of at most max - 1 bytes, without NULs, into out[max]. */
static void r_str(struct bin_r *r, char *out, size_t max)
{
	size_t n = (size_t)r_uint(r, 1);
	out[0] = 0;
	if (r->bad || n >= max || r->n - r->at < n || memchr(r->b + r->at, 0, n)) {
		r->bad = true;
		return;
	}
	memcpy(out, r->b + r->at, n);
	out[n] = 0;
	r->at += n;
}

static void r_bytes(struct bin_r *r, void *out, size_t n)
{
	if (r->bad || r->n - r->at < n) {
		r->bad = true;
		return;
	}
	memcpy(out, r->b + r->at, n);
	r->at += n;
}

/* A string read and interned (NULL: malformed or no memory). */
static const char *r_intern(struct bin_r *r, struct lc *lc, size_t max)
{
	char s[MDL_NAME_SIZE];
	r_str(r, s, max < sizeof(s) ? max : sizeof(s));
	const char *x = r->bad ? NULL : lc_intern(lc, s);
	if (x == NULL)
		r->bad = true;
	return x;
}

/* Straight into the record (no model struct: a restart decodes 100k). */
struct lc_port *lc_port_decode(struct lc *lc, const char *buf, size_t len, char *err,
			       size_t size)
{
	struct bin_r r = { (const uint8_t *)buf, len, 0, false };
	struct lc_port h = { .hdr.type = MDL_PORT }, *p = NULL;
	char text[MDL_IP_SIZE], sub[MDL_ID_SIZE], name[MDL_NAME_SIZE], device_id[MDL_NAME_SIZE];
	const char *sgs[LC_PORT_MAX_LIST];
	size_t n_sg = 0;
	unsigned v = (unsigned)r_uint(&r, 1);
	if (v != LC_PORT_BIN && v != LC_PORT_BIN_V1)
		r.bad = true;
	r_str(&r, h.hdr.id, sizeof(h.hdr.id));
	h.hdr.dp_key = (uint32_t)r_uint(&r, 4);
	h.hdr.version = r_uint(&r, 8);
	unsigned flags = (unsigned)r_uint(&r, 1);
	h.port_security_enabled = flags & 1;
	h.admin_state_up = (flags & 2) != 0;
	r_str(&r, name, sizeof(name));
	h.project_id = r_intern(&r, lc, MDL_NAME_SIZE);
	h.network_id = r_intern(&r, lc, MDL_ID_SIZE);
	h.device_owner = r_intern(&r, lc, MDL_NAME_SIZE);
	r_str(&r, device_id, sizeof(device_id));
	h.binding_host_id = r_intern(&r, lc, MDL_NAME_SIZE);
	if (v == LC_PORT_BIN && !(flags & 4)) {
		r_bytes(&r, h.mac.addr_bytes, 6);
	} else {
		r_str(&r, text, MDL_MAC_SIZE);
		if (!r.bad && v == LC_PORT_BIN)
			h.mac_text = lc_intern(lc, text);
		if (!r.bad && (v == LC_PORT_BIN ? h.mac_text == NULL : set_mac(lc, &h, text) < 0))
			r.bad = true;
	}
	size_t n = (size_t)r_uint(&r, 2);
	if (!r.bad && n > MDL_PORT_MAX_FIXED_IPS)
		r.bad = true;
	/* the record is as long as its fixed IPs: h's fields move into it */
	if (!r.bad && (p = port_alloc(n)) == NULL)
		snprintf(err, size, "out of memory");
	if (p == NULL) {
		port_strs_drop(lc, &h);
		if (r.bad)
			snprintf(err, size, "bad binary port record (%zu bytes)", len);
		return NULL;
	}
	*p = h;
	for (size_t k = 0; k < n && !r.bad; k++) {
		struct lc_fixed_ip *f = &p->fixed_ips[k];
		p->n_fixed_ips = (uint16_t)(k + 1);
		if (v == LC_PORT_BIN_V1) {
			r_str(&r, sub, MDL_ID_SIZE);
			r_str(&r, text, MDL_IP_SIZE);
			if (!r.bad && set_ip(lc, f, sub, text) < 0)
				r.bad = true;
			continue;
		}
		f->subnet_id = r_intern(&r, lc, MDL_ID_SIZE);
		unsigned fam = (unsigned)r_uint(&r, 1);
		if (fam == 4 || fam == 6) {
			f->ip.family = (uint8_t)fam;
			f->ip.plen = fam == 4 ? 32 : 128;
			r_bytes(&r, f->ip.addr, fam == 4 ? 4 : 16);
		} else if (fam == 0) {
			r_str(&r, text, MDL_IP_SIZE);
			if (!r.bad && (f->odd.text = lc_intern(lc, text)) == NULL)
				r.bad = true;
		} else {
			r.bad = true;
		}
	}
	n = (size_t)r_uint(&r, 2);
	if (!r.bad && n > MDL_PORT_MAX_ADDR_PAIRS)
		r.bad = true;
	if (!r.bad && n && (p->allowed_address_pairs = calloc(n, sizeof(*p->allowed_address_pairs))))
		for (p->n_allowed_address_pairs = (uint16_t)n, n = 0;
		     n < p->n_allowed_address_pairs; n++) {
			r_str(&r, p->allowed_address_pairs[n].ip_address, MDL_CIDR_SIZE);
			r_str(&r, p->allowed_address_pairs[n].mac_address, MDL_MAC_SIZE);
		}
	else if (n)
		r.bad = true;
	n = (size_t)r_uint(&r, 2);
	if (!r.bad && n > LC_PORT_MAX_LIST)
		r.bad = true;
	for (; !r.bad && n_sg < n; n_sg++)
		sgs[n_sg] = r_intern(&r, lc, MDL_ID_SIZE);
	if (!r.bad && r.at != r.n)
		r.bad = true;
	if (r.bad) {
		snprintf(err, size, "bad binary port record (%zu bytes)", len);
		for (size_t k = 0; k < n_sg; k++)
			lc_unintern(lc, sgs[k]);   /* the failed one is NULL */
		lc_port_free(lc, p);
		return NULL;
	}
	if ((p = port_seal(lc, p, name, device_id, sgs, n_sg)) == NULL)
		snprintf(err, size, "out of memory");
	return p;
}

bool lc_port_same(const struct lc_port *a, const struct lc_port *b)
{
	/* interned: one pointer per distinct string (not the port's own
	 * name and device id) */
	if (a->hdr.dp_key != b->hdr.dp_key || a->hdr.version != b->hdr.version ||
	    strcmp(a->hdr.id, b->hdr.id) != 0 || strcmp(a->name, b->name) != 0 ||
	    a->project_id != b->project_id || a->network_id != b->network_id ||
	    a->device_owner != b->device_owner || strcmp(a->device_id, b->device_id) != 0 ||
	    a->binding_host_id != b->binding_host_id ||
	    a->mac_text != b->mac_text ||
	    memcmp(&a->mac, &b->mac, sizeof(a->mac)) != 0 ||
	    a->port_security_enabled != b->port_security_enabled ||
	    a->admin_state_up != b->admin_state_up || a->n_fixed_ips != b->n_fixed_ips ||
	    a->n_allowed_address_pairs != b->n_allowed_address_pairs ||
	    a->n_security_groups != b->n_security_groups)
		return false;
	for (size_t i = 0; i < a->n_fixed_ips; i++) {
		const struct lc_fixed_ip *x = &a->fixed_ips[i], *y = &b->fixed_ips[i];
		if (x->subnet_id != y->subnet_id || x->ip.family != y->ip.family ||
		    (x->ip.family ? memcmp(&x->ip, &y->ip, sizeof(x->ip)) != 0
				  : x->odd.text != y->odd.text))
			return false;
	}
	for (size_t i = 0; i < a->n_allowed_address_pairs; i++)
		if (strcmp(a->allowed_address_pairs[i].ip_address,
			   b->allowed_address_pairs[i].ip_address) != 0 ||
		    strcmp(a->allowed_address_pairs[i].mac_address,
			   b->allowed_address_pairs[i].mac_address) != 0)
			return false;
	for (size_t i = 0; i < a->n_security_groups; i++)
		if (a->security_groups[i] != b->security_groups[i])
			return false;
	return true;
}

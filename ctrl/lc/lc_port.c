/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/lc/lc_port.c — a port as the controller keeps it (struct lc_port)
 * and the strings it shares with other ports (lc_intern).
 *
 * Ports are the objects there are 100k of, so the controller does not keep
 * the model's decoded struct mdl_port (five 256-byte name fields, 1.5 KB)
 * for them: lc_obj_set decodes into it, moves the lists out and keeps the
 * strings interned — a network id, a host, a device owner or a group id is
 * held once, however many ports name it.  Every other type keeps its
 * decoded model struct (there are few of them).
 *
 * Control thread only, as everything in struct lc.
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "lc_priv.h"

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
void lc_port_free(struct lc *lc, struct lc_port *p)
{
	if (p == NULL)
		return;
	const char **strs[] = { &p->name, &p->project_id, &p->network_id, &p->device_owner,
				&p->device_id, &p->binding_host_id };
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		lc_unintern(lc, *strs[i]);
	for (size_t i = 0; i < p->n_security_groups; i++)
		lc_unintern(lc, p->security_groups[i]);
	free(p->security_groups);
	free(p->fixed_ips);
	free(p->allowed_address_pairs);
	free(p);
}

struct lc_port *lc_port_from_mdl(struct lc *lc, struct mdl_port *m)
{
	struct lc_port *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->hdr = m->hdr;
	p->hdr.attrs = NULL;             /* the API's attributes: not compiled */
	p->name = lc_intern(lc, m->name);
	p->project_id = lc_intern(lc, m->project_id);
	p->network_id = lc_intern(lc, m->network_id);
	p->device_owner = lc_intern(lc, m->device_owner);
	p->device_id = lc_intern(lc, m->device_id);
	p->binding_host_id = lc_intern(lc, m->binding_host_id);
	memcpy(p->mac_address, m->mac_address, sizeof(p->mac_address));
	p->port_security_enabled = m->port_security_enabled;
	p->admin_state_up = m->admin_state_up;
	/* the lists move over (the model frees NULL ones as empty) */
	p->fixed_ips = m->fixed_ips;
	p->n_fixed_ips = m->n_fixed_ips;
	m->fixed_ips = NULL;
	m->n_fixed_ips = 0;
	p->allowed_address_pairs = m->allowed_address_pairs;
	p->n_allowed_address_pairs = m->n_allowed_address_pairs;
	m->allowed_address_pairs = NULL;
	m->n_allowed_address_pairs = 0;
	bool ok = p->name && p->project_id && p->network_id && p->device_owner && p->device_id &&
		  p->binding_host_id;
	if (ok && m->n_security_groups) {
		p->security_groups = calloc(m->n_security_groups, sizeof(*p->security_groups));
		ok = p->security_groups != NULL;
		for (size_t i = 0; ok && i < m->n_security_groups; i++) {
			p->security_groups[i] = lc_intern(lc, m->security_groups[i]);
			ok = p->security_groups[i] != NULL;
			p->n_security_groups += ok;
		}
	}
	if (!ok) {
		lc_port_free(lc, p);
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
	memcpy(m->mac_address, p->mac_address, sizeof(m->mac_address));
	m->port_security_enabled = p->port_security_enabled;
	m->admin_state_up = p->admin_state_up;
	bool ok = true;
	if (p->n_fixed_ips) {
		m->fixed_ips = malloc(p->n_fixed_ips * sizeof(*m->fixed_ips));
		if ((ok = m->fixed_ips != NULL)) {
			memcpy(m->fixed_ips, p->fixed_ips, p->n_fixed_ips * sizeof(*m->fixed_ips));
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
 * security, bit 1 admin up), the strings name, project_id, network_id,
 * device_owner, device_id, binding_host_id, mac_address, then the counts
 * and entries (le16) of fixed_ips (subnet_id, ip_address), address pairs
 * (ip_address, mac_address) and security groups.  A string is a length
 * byte and its bytes (the longest, a name, has 255).  Integers are little
 * endian.
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
	w_uint(&w, (p->port_security_enabled ? 1u : 0u) | (p->admin_state_up ? 2u : 0u), 1);
	w_str(&w, p->name, MDL_NAME_SIZE);
	w_str(&w, p->project_id, MDL_NAME_SIZE);
	w_str(&w, p->network_id, MDL_ID_SIZE);
	w_str(&w, p->device_owner, MDL_NAME_SIZE);
	w_str(&w, p->device_id, MDL_NAME_SIZE);
	w_str(&w, p->binding_host_id, MDL_NAME_SIZE);
	w_str(&w, p->mac_address, MDL_MAC_SIZE);
	w_uint(&w, p->n_fixed_ips, 2);
	for (size_t i = 0; i < p->n_fixed_ips; i++) {
		w_str(&w, p->fixed_ips[i].subnet_id, MDL_ID_SIZE);
		w_str(&w, p->fixed_ips[i].ip_address, MDL_IP_SIZE);
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
	struct lc_port *p = calloc(1, sizeof(*p));
	if (p == NULL) {
		snprintf(err, size, "out of memory");
		return NULL;
	}
	p->hdr.type = MDL_PORT;
	if (r_uint(&r, 1) != LC_PORT_BIN)
		r.bad = true;
	r_str(&r, p->hdr.id, sizeof(p->hdr.id));
	p->hdr.dp_key = (uint32_t)r_uint(&r, 4);
	p->hdr.version = r_uint(&r, 8);
	unsigned flags = (unsigned)r_uint(&r, 1);
	p->port_security_enabled = flags & 1;
	p->admin_state_up = (flags & 2) != 0;
	p->name = r_intern(&r, lc, MDL_NAME_SIZE);
	p->project_id = r_intern(&r, lc, MDL_NAME_SIZE);
	p->network_id = r_intern(&r, lc, MDL_ID_SIZE);
	p->device_owner = r_intern(&r, lc, MDL_NAME_SIZE);
	p->device_id = r_intern(&r, lc, MDL_NAME_SIZE);
	p->binding_host_id = r_intern(&r, lc, MDL_NAME_SIZE);
	r_str(&r, p->mac_address, sizeof(p->mac_address));
	size_t n = (size_t)r_uint(&r, 2);
	if (!r.bad && n > MDL_PORT_MAX_FIXED_IPS)
		r.bad = true;
	if (!r.bad && n && (p->fixed_ips = calloc(n, sizeof(*p->fixed_ips))) != NULL)
		for (p->n_fixed_ips = n, n = 0; n < p->n_fixed_ips; n++) {
			r_str(&r, p->fixed_ips[n].subnet_id, MDL_ID_SIZE);
			r_str(&r, p->fixed_ips[n].ip_address, MDL_IP_SIZE);
		}
	else if (n)
		r.bad = true;
	n = (size_t)r_uint(&r, 2);
	if (!r.bad && n > MDL_PORT_MAX_ADDR_PAIRS)
		r.bad = true;
	if (!r.bad && n && (p->allowed_address_pairs = calloc(n, sizeof(*p->allowed_address_pairs))))
		for (p->n_allowed_address_pairs = n, n = 0; n < p->n_allowed_address_pairs; n++) {
			r_str(&r, p->allowed_address_pairs[n].ip_address, MDL_CIDR_SIZE);
			r_str(&r, p->allowed_address_pairs[n].mac_address, MDL_MAC_SIZE);
		}
	else if (n)
		r.bad = true;
	n = (size_t)r_uint(&r, 2);
	if (!r.bad && n > LC_PORT_MAX_GROUPS)
		r.bad = true;
	if (!r.bad && n && (p->security_groups = calloc(n, sizeof(*p->security_groups))))
		for (size_t k = 0; k < n && !r.bad; k++) {
			p->security_groups[k] = r_intern(&r, lc, MDL_ID_SIZE);
			p->n_security_groups += !r.bad;
		}
	else if (n)
		r.bad = true;
	if (!r.bad && r.at != r.n)
		r.bad = true;
	if (r.bad) {
		snprintf(err, size, "bad binary port record (%zu bytes)", len);
		lc_port_free(lc, p);
		return NULL;
	}
	return p;
}

bool lc_port_same(const struct lc_port *a, const struct lc_port *b)
{
	/* interned: one pointer per distinct string */
	if (a->hdr.dp_key != b->hdr.dp_key || a->hdr.version != b->hdr.version ||
	    strcmp(a->hdr.id, b->hdr.id) != 0 || a->name != b->name ||
	    a->project_id != b->project_id || a->network_id != b->network_id ||
	    a->device_owner != b->device_owner || a->device_id != b->device_id ||
	    a->binding_host_id != b->binding_host_id ||
	    strcmp(a->mac_address, b->mac_address) != 0 ||
	    a->port_security_enabled != b->port_security_enabled ||
	    a->admin_state_up != b->admin_state_up || a->n_fixed_ips != b->n_fixed_ips ||
	    a->n_allowed_address_pairs != b->n_allowed_address_pairs ||
	    a->n_security_groups != b->n_security_groups)
		return false;
	for (size_t i = 0; i < a->n_fixed_ips; i++)
		if (strcmp(a->fixed_ips[i].subnet_id, b->fixed_ips[i].subnet_id) != 0 ||
		    strcmp(a->fixed_ips[i].ip_address, b->fixed_ips[i].ip_address) != 0)
			return false;
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

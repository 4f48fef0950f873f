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

static int strtab_grow(struct lc_strtab *t)
{
	size_t nb = t->n_b ? t->n_b * 2 : 1024;
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

const char *lc_intern(struct lc *lc, const char *s)
{
	if (s == NULL || s[0] == 0)
		return lc_empty;
	if (lc->strs == NULL && (lc->strs = calloc(1, sizeof(*lc->strs))) == NULL)
		return NULL;
	struct lc_strtab *t = lc->strs;
	if (t->n >= t->n_b && strtab_grow(t) < 0 && t->n_b == 0)
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

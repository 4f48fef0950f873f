/* SPDX-License-Identifier: BSD-3-Clause
 * pmd-offload/xdp/ofl_xdp.c — loader and map editor of the XDP tier (libbpf).
 * The object is embedded by `bpftool gen skeleton` when the build found
 * bpftool (OFL_XDP_HAVE_SKEL), else read from ofl_xdp_obj_path().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "ofl_xdp.h"
#ifdef OFL_XDP_HAVE_SKEL
#include "wyv_xdp.skel.h"
#endif

struct ofl_xdp {
	int flows, portsec, stats, masks;
	int ncpu;
};

const char *ofl_xdp_obj_path(void)
{
	const char *e = getenv("WYV_XDP_OBJ");
	return e && *e ? e : OFL_XDP_OBJ;
}

static const char *const ctr_names[OFL_XDP_C__MAX] = {
	"rx", "redirect", "drop_flow", "drop_portsec", "xsk", "pass", "redirect_err",
};

const char *ofl_xdp_ctr_name(unsigned c)
{
	return c < OFL_XDP_C__MAX ? ctr_names[c] : NULL;
}

static int mkdir_p(const char *dir)
{
	char buf[256];
	if (strlen(dir) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, dir);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

int ofl_xdp_attach(unsigned ifindex, const char *pin_dir, const char *prog,
		   enum ofl_xdp_mode mode, char *err, size_t errlen)
{
	struct bpf_object *obj = NULL;
	struct bpf_program *p;
	int rc;

	if (pin_dir == NULL)
		pin_dir = OFL_XDP_PIN_DEFAULT;
	if (prog == NULL)
		prog = "wyv_xdp";
	/* the pass program uses no map: never pin (it is attached inside
	 * namespaces, where `ip netns exec` has no bpffs mounted) */
	int pin = strcmp(prog, "wyv_xdp_pass") != 0;
	rc = pin ? mkdir_p(pin_dir) : 0;
	if (rc) {
		snprintf(err, errlen, "cannot create %s: %s", pin_dir, strerror(-rc));
		return rc;
	}
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin ? pin_dir : NULL);
#ifdef OFL_XDP_HAVE_SKEL
	size_t sz;
	const void *bytes = wyv_xdp_bpf__elf_bytes(&sz);
	obj = bpf_object__open_mem(bytes, sz, &opts);
#else
	obj = bpf_object__open_file(ofl_xdp_obj_path(), &opts);
#endif
	rc = -libbpf_get_error(obj);
	if (obj == NULL || rc) {
		snprintf(err, errlen, "open object: %s", strerror(rc ? rc : ENOENT));
		return rc ? -rc : -ENOENT;
	}
	struct bpf_map *m;
	bpf_object__for_each_map(m, obj) {
		const char *pp = bpf_map__pin_path(m);
		if (!pin || pp == NULL) {
			bpf_map__set_pin_path(m, NULL);
			continue;
		}
		/* Reuse a pinned map by hand: libbpf's own reuse compares
		 * map_flags, and the kernel adds BPF_F_RDONLY_PROG to every
		 * devmap, so it would refuse ("parameter mismatch"). */
		int fd = bpf_obj_get(pp);
		if (fd >= 0) {
			/* a pin left by another build (the flow key grew): refuse
			 * it rather than run the program on a map of another
			 * layout */
			struct bpf_map_info mi;
			uint32_t mlen = sizeof(mi);
			memset(&mi, 0, sizeof(mi));
			if (bpf_obj_get_info_by_fd(fd, &mi, &mlen) == 0 &&
			    (mi.type != bpf_map__type(m) || mi.key_size != bpf_map__key_size(m) ||
			     mi.value_size != bpf_map__value_size(m) ||
			     mi.max_entries != bpf_map__max_entries(m))) {
				close(fd);
				snprintf(err, errlen, "pinned %s has another layout (an older "
					 "build?): remove it", pp);
				rc = -EINVAL;
				goto out;
			}
			rc = bpf_map__reuse_fd(m, fd);
			close(fd);
			if (rc) {
				snprintf(err, errlen, "reuse %s: %s", pp, strerror(-rc));
				goto out;
			}
			bpf_map__set_pin_path(m, NULL);
		}
	}
	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, strcmp(bpf_program__name(p), prog) == 0);
	p = bpf_object__find_program_by_name(obj, prog);
	if (p == NULL) {
		snprintf(err, errlen, "no program %s", prog);
		rc = -ENOENT;
		goto out;
	}
	rc = bpf_object__load(obj);
	if (rc) {
		snprintf(err, errlen, "load: %s", strerror(-rc));
		goto out;
	}
	rc = bpf_xdp_attach((int)ifindex, bpf_program__fd(p),
			    mode == OFL_XDP_MODE_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE,
			    NULL);
	if (rc)
		snprintf(err, errlen, "attach (%s mode): %s",
			 mode == OFL_XDP_MODE_SKB ? "skb" : "native", strerror(-rc));
out:
	bpf_object__close(obj);   /* the attachment and the pins keep what is needed */
	return rc;
}

int ofl_xdp_detach(unsigned ifindex, enum ofl_xdp_mode mode)
{
	return bpf_xdp_detach((int)ifindex,
			      mode == OFL_XDP_MODE_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE,
			      NULL);
}

static int pin_get(const char *dir, const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

struct ofl_xdp *ofl_xdp_open(const char *pin_dir)
{
	struct ofl_xdp *x = calloc(1, sizeof(*x));
	if (x == NULL)
		return NULL;
	if (pin_dir == NULL)
		pin_dir = OFL_XDP_PIN_DEFAULT;
	x->flows = pin_get(pin_dir, "wyv_l2_flows");
	x->portsec = pin_get(pin_dir, "wyv_port_sec");
	x->stats = pin_get(pin_dir, "wyv_port_stats");
	x->masks = pin_get(pin_dir, "wyv_masks");
	x->ncpu = libbpf_num_possible_cpus();
	if (x->flows < 0 || x->portsec < 0 || x->stats < 0 || x->masks < 0 || x->ncpu <= 0) {
		int e = x->flows < 0 ? -x->flows : ENOENT;
		ofl_xdp_close(x);
		errno = e;
		return NULL;
	}
	return x;
}

void ofl_xdp_close(struct ofl_xdp *x)
{
	if (x == NULL)
		return;
	int fds[] = { x->flows, x->portsec, x->stats, x->masks };
	for (unsigned i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] > 0)
			close(fds[i]);
	free(x);
}

static void mk_key(struct ofl_xdp_key *k, struct ofl_xdp_key *m, uint32_t ifindex,
		   const uint8_t dst[6], uint16_t vlan)
{
	memset(k, 0, sizeof(*k));
	k->ifindex = ifindex;
	memcpy(k->dst, dst, 6);
	k->vlan = vlan;
	memset(m, 0, sizeof(*m));
	memset(m->dst, 0xff, 6);
}

static void key_and(struct ofl_xdp_key *out, const struct ofl_xdp_key *k,
		    const struct ofl_xdp_key *m)
{
	uint32_t w[OFL_XDP_KEY_WORDS], a[OFL_XDP_KEY_WORDS], b[OFL_XDP_KEY_WORDS];
	memcpy(a, k, sizeof(a));
	memcpy(b, m, sizeof(b));
	for (unsigned i = 0; i < OFL_XDP_KEY_WORDS; i++)
		w[i] = a[i] & b[i];
	memcpy(out, w, sizeof(w));
}

/* The slot of mask m (ifindex, vlan all ones, mask_id 0): an existing one,
 * else a free one (refs 0, not written yet: *fresh set).  -ENOSPC. */
static int mask_slot(struct ofl_xdp *x, const struct ofl_xdp_key *m, int *fresh)
{
	int free_slot = -1;
	for (uint32_t i = 0; i < OFL_XDP_N_MASKS; i++) {
		struct ofl_xdp_mask v;
		if (bpf_map_lookup_elem(x->masks, &i, &v))
			return -errno;
		if (v.refs && memcmp(&v.m, m, sizeof(*m)) == 0) {
			*fresh = 0;
			return (int)i;
		}
		if (!v.refs && free_slot < 0)
			free_slot = (int)i;
	}
	*fresh = 1;
	return free_slot < 0 ? -ENOSPC : free_slot;
}

static int mask_ref(struct ofl_xdp *x, uint32_t id, const struct ofl_xdp_key *m, int delta)
{
	struct ofl_xdp_mask v;
	if (bpf_map_lookup_elem(x->masks, &id, &v))
		return -errno;
	if (delta > 0 && v.refs == 0) {
		memset(&v, 0, sizeof(v));
		v.m = *m;
	}
	if (delta < 0 && v.refs == 0)
		return 0;
	v.refs = (uint32_t)((int)v.refs + delta);
	return bpf_map_update_elem(x->masks, &id, &v, BPF_ANY) ? -errno : 0;
}

int ofl_xdp_mask_get(struct ofl_xdp *x, unsigned id, struct ofl_xdp_mask *out)
{
	uint32_t i = id;
	if (id >= OFL_XDP_N_MASKS)
		return -EINVAL;
	return bpf_map_lookup_elem(x->masks, &i, out) ? -errno : 0;
}

/* The devmap of the XDP program attached to ifindex (any mode): an fd, or
 * -ENOENT when no wyvern program is attached there. */
static int devmap_of(unsigned ifindex)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info pi;
	uint32_t ids[16], len = sizeof(pi);
	int rc = bpf_xdp_query((int)ifindex, 0, &q);
	if (rc)
		return rc;
	uint32_t id = q.prog_id ? q.prog_id : q.drv_prog_id ? q.drv_prog_id : q.skb_prog_id;
	if (id == 0)
		return -ENOENT;
	int pfd = bpf_prog_get_fd_by_id(id);
	if (pfd < 0)
		return -errno;
	memset(&pi, 0, sizeof(pi));
	pi.nr_map_ids = 16;
	pi.map_ids = (uint64_t)(uintptr_t)ids;
	rc = bpf_obj_get_info_by_fd(pfd, &pi, &len);
	close(pfd);
	if (rc)
		return -errno;
	for (uint32_t i = 0; i < pi.nr_map_ids && i < 16; i++) {
		struct bpf_map_info mi;
		uint32_t mlen = sizeof(mi);
		int mfd = bpf_map_get_fd_by_id(ids[i]);
		if (mfd < 0)
			continue;
		memset(&mi, 0, sizeof(mi));
		if (bpf_obj_get_info_by_fd(mfd, &mi, &mlen) == 0 &&
		    strcmp(mi.name, "wyv_tx_ports") == 0)
			return mfd;
		close(mfd);
	}
	return -ENOENT;
}

int ofl_xdp_key_put(struct ofl_xdp *x, const struct ofl_xdp_key *key,
		    const struct ofl_xdp_key *mask, enum ofl_xdp_act act, uint32_t out_ifindex,
		    struct ofl_xdp_key *stored)
{
	struct ofl_xdp_val v = { .action = act, .out_ifindex = out_ifindex }, old;
	struct ofl_xdp_key m = *mask, k;
	int fresh, rc;
	if (key->ifindex == 0 || (act == OFL_XDP_REDIRECT && out_ifindex == 0) ||
	    (act != OFL_XDP_REDIRECT && act != OFL_XDP_DROP && act != OFL_XDP_TO_XSK))
		return -EINVAL;
	m.ifindex = UINT32_MAX;
	m.vlan = UINT16_MAX;
	m.mask_id = 0;
	m.pad = 0;
	int id = mask_slot(x, &m, &fresh);
	if (id < 0)
		return id;
	key_and(&k, key, &m);
	k.mask_id = (uint8_t)id;
	if (act == OFL_XDP_REDIRECT) {
		/* the egress goes into the devmap of the ingress port's program */
		int dm = devmap_of(key->ifindex);
		if (dm < 0)
			return dm;
		rc = bpf_map_update_elem(dm, &out_ifindex, &out_ifindex, BPF_ANY) ? -errno : 0;
		close(dm);
		if (rc)
			return rc;
	}
	int is_new = bpf_map_lookup_elem(x->flows, &k, &old) != 0;
	/* the mask first: the program looks it up from now on */
	if (is_new && (rc = mask_ref(x, (uint32_t)id, &m, +1)) != 0)
		return rc;
	if (bpf_map_update_elem(x->flows, &k, &v, BPF_ANY)) {
		rc = -errno;
		if (is_new)
			mask_ref(x, (uint32_t)id, &m, -1);
		return rc;
	}
	if (stored)
		*stored = k;
	return 0;
}

int ofl_xdp_key_exists(struct ofl_xdp *x, const struct ofl_xdp_key *key,
		       const struct ofl_xdp_key *mask)
{
	struct ofl_xdp_key m = *mask, k;
	struct ofl_xdp_val v;
	int fresh;
	m.ifindex = UINT32_MAX;
	m.vlan = UINT16_MAX;
	m.mask_id = 0;
	m.pad = 0;
	int id = mask_slot(x, &m, &fresh);
	if (id < 0 || fresh)
		return 0;
	key_and(&k, key, &m);
	k.mask_id = (uint8_t)id;
	return bpf_map_lookup_elem(x->flows, &k, &v) == 0;
}

int ofl_xdp_key_del(struct ofl_xdp *x, const struct ofl_xdp_key *key)
{
	if (bpf_map_delete_elem(x->flows, key))
		return -errno;
	return mask_ref(x, key->mask_id, NULL, -1);
}

int ofl_xdp_key_get(struct ofl_xdp *x, const struct ofl_xdp_key *key, struct ofl_xdp_val *out)
{
	return bpf_map_lookup_elem(x->flows, key, out) ? -errno : 0;
}

/* The L2 flow's stored key: (ifindex, dst, vlan) under the dst-only mask. */
static int l2_key(struct ofl_xdp *x, struct ofl_xdp_key *k, uint32_t in_ifindex,
		  const uint8_t dst[6], uint16_t vlan)
{
	struct ofl_xdp_key m;
	int fresh;
	mk_key(k, &m, in_ifindex, dst, vlan);
	m.ifindex = UINT32_MAX;
	m.vlan = UINT16_MAX;
	int id = mask_slot(x, &m, &fresh);
	if (id < 0 || fresh)
		return -ENOENT;
	k->mask_id = (uint8_t)id;
	return 0;
}

int ofl_xdp_flow_put(struct ofl_xdp *x, uint32_t in_ifindex, const uint8_t dst[6],
		     uint16_t vlan, enum ofl_xdp_act act, uint32_t out_ifindex)
{
	struct ofl_xdp_key k, m;
	mk_key(&k, &m, in_ifindex, dst, vlan);
	return ofl_xdp_key_put(x, &k, &m, act, out_ifindex, NULL);
}

int ofl_xdp_flow_del(struct ofl_xdp *x, uint32_t in_ifindex, const uint8_t dst[6],
		     uint16_t vlan)
{
	struct ofl_xdp_key k;
	int rc = l2_key(x, &k, in_ifindex, dst, vlan);
	return rc ? rc : ofl_xdp_key_del(x, &k);
}

int ofl_xdp_flow_get(struct ofl_xdp *x, uint32_t in_ifindex, const uint8_t dst[6],
		     uint16_t vlan, struct ofl_xdp_val *out)
{
	struct ofl_xdp_key k;
	int rc = l2_key(x, &k, in_ifindex, dst, vlan);
	return rc ? rc : ofl_xdp_key_get(x, &k, out);
}

int ofl_xdp_flow_foreach(struct ofl_xdp *x,
			 int (*cb)(const struct ofl_xdp_key *k, const struct ofl_xdp_val *v,
				   void *arg), void *arg)
{
	struct ofl_xdp_key k, next;
	struct ofl_xdp_val v;
	void *prev = NULL;
	while (bpf_map_get_next_key(x->flows, prev, &next) == 0) {
		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(x->flows, &k, &v) == 0 && cb(&k, &v, arg))
			break;
	}
	return 0;
}

int ofl_xdp_portsec_set(struct ofl_xdp *x, uint32_t ifindex, const uint8_t mac[6],
			const uint32_t *ips, unsigned n_ip)
{
	struct ofl_xdp_portsec ps;
	if (n_ip > OFL_XDP_MAX_IP || ifindex == 0)
		return -EINVAL;
	memset(&ps, 0, sizeof(ps));
	memcpy(ps.mac, mac, 6);
	ps.n_ip = (uint16_t)n_ip;
	for (unsigned i = 0; i < n_ip; i++)
		ps.ip[i] = ips[i];
	return bpf_map_update_elem(x->portsec, &ifindex, &ps, BPF_ANY) ? -errno : 0;
}

int ofl_xdp_portsec_del(struct ofl_xdp *x, uint32_t ifindex)
{
	return bpf_map_delete_elem(x->portsec, &ifindex) ? -errno : 0;
}

int ofl_xdp_port_counters(struct ofl_xdp *x, uint32_t ifindex, struct ofl_xdp_port_ctr *out)
{
	struct ofl_xdp_port_ctr *per = calloc((size_t)x->ncpu, sizeof(*per));
	if (per == NULL)
		return -ENOMEM;
	memset(out, 0, sizeof(*out));
	if (bpf_map_lookup_elem(x->stats, &ifindex, per) == 0)
		for (int c = 0; c < x->ncpu; c++)
			for (unsigned i = 0; i < OFL_XDP_C__MAX; i++)
				out->c[i] += per[c].c[i];
	free(per);
	return 0;
}

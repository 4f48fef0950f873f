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
	int flows, portsec, stats, shapes;
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
	x->shapes = pin_get(pin_dir, "wyv_shapes");
	x->ncpu = libbpf_num_possible_cpus();
	if (x->flows < 0 || x->portsec < 0 || x->stats < 0 || x->shapes < 0 || x->ncpu <= 0) {
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
	int fds[] = { x->flows, x->portsec, x->stats, x->shapes };
	for (unsigned i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] > 0)
			close(fds[i]);
	free(x);
}

static void mk_key(struct ofl_xdp_key *k, uint32_t ifindex, const uint8_t dst[6], uint16_t vlan)
{
	memset(k, 0, sizeof(*k));
	k->ifindex = ifindex;
	memcpy(k->dst, dst, 6);
	k->vlan = vlan;
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

int ofl_xdp_key_put(struct ofl_xdp *x, const struct ofl_xdp_key *key, enum ofl_xdp_act act,
		    uint32_t out_ifindex)
{
	struct ofl_xdp_val v = { .action = act, .out_ifindex = out_ifindex };
	uint32_t zero = 0, shapes = 0;
	if (key->ifindex == 0 || (act == OFL_XDP_REDIRECT && out_ifindex == 0) ||
	    (act != OFL_XDP_REDIRECT && act != OFL_XDP_DROP && act != OFL_XDP_TO_XSK) ||
	    !ofl_xdp_shape_ok(key->shape))
		return -EINVAL;
	if (act == OFL_XDP_REDIRECT) {
		/* the egress goes into the devmap of the ingress port's program */
		int dm = devmap_of(key->ifindex);
		if (dm < 0)
			return dm;
		int rc = bpf_map_update_elem(dm, &out_ifindex, &out_ifindex, BPF_ANY) ? -errno : 0;
		close(dm);
		if (rc)
			return rc;
	}
	/* the program looks up this shape from now on (never cleared: a
	 * shape without flows costs a lookup that misses) */
	if (bpf_map_lookup_elem(x->shapes, &zero, &shapes) == 0 && !(shapes & (1u << key->shape))) {
		shapes |= 1u << key->shape;
		if (bpf_map_update_elem(x->shapes, &zero, &shapes, BPF_ANY))
			return -errno;
	}
	return bpf_map_update_elem(x->flows, key, &v, BPF_ANY) ? -errno : 0;
}

int ofl_xdp_key_del(struct ofl_xdp *x, const struct ofl_xdp_key *key)
{
	return bpf_map_delete_elem(x->flows, key) ? -errno : 0;
}

int ofl_xdp_key_get(struct ofl_xdp *x, const struct ofl_xdp_key *key, struct ofl_xdp_val *out)
{
	return bpf_map_lookup_elem(x->flows, key, out) ? -errno : 0;
}

int ofl_xdp_flow_put(struct ofl_xdp *x, uint32_t in_ifindex, const uint8_t dst[6],
		     uint16_t vlan, enum ofl_xdp_act act, uint32_t out_ifindex)
{
	struct ofl_xdp_key k;
	mk_key(&k, in_ifindex, dst, vlan);
	return ofl_xdp_key_put(x, &k, act, out_ifindex);
}

int ofl_xdp_flow_del(struct ofl_xdp *x, uint32_t in_ifindex, const uint8_t dst[6],
		     uint16_t vlan)
{
	struct ofl_xdp_key k;
	mk_key(&k, in_ifindex, dst, vlan);
	return ofl_xdp_key_del(x, &k);
}

int ofl_xdp_flow_get(struct ofl_xdp *x, uint32_t in_ifindex, const uint8_t dst[6],
		     uint16_t vlan, struct ofl_xdp_val *out)
{
	struct ofl_xdp_key k;
	mk_key(&k, in_ifindex, dst, vlan);
	return ofl_xdp_key_get(x, &k, out);
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

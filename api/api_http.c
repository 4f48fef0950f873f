/* SPDX-License-Identifier: BSD-3-Clause
 * api/api_http.c — libmicrohttpd glue: one daemon with an internal
 * polling thread pool (epoll); each request's body is gathered (at most
 * API_MAX_BODY bytes, else 413), then api_handle() runs on the pool thread
 * that owns the connection and the JSON answer is sent.  Also the [api]
 * keys (api_config_key), shared by wyvernd's config.c and wyvern-api.
 *
 * Threads: api_start/api_stop from the owner's thread; callbacks on the
 * pool's threads, each touching only its connection's state and the
 * atomic counters.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "api.h"
#include "api_auth.h"
#include "api_priv.h"

#define API_MAX_BODY (1u << 20)
#define API_MAX_ARGS 64

struct api_server {
	struct MHD_Daemon *mhd;
	struct nbo nbo;
	struct api_auth *auth;          /* auth = keystone, else NULL */
	char www_auth[300];             /* WWW-Authenticate of a 401 */
	unsigned port;
	char *tls_cert, *tls_key;       /* PEM texts while serving TLS, else NULL */
	atomic_ullong counts[3];
};

struct conn {
	char *body;
	size_t len;
	bool too_big;
};

struct args {
	struct api_arg v[API_MAX_ARGS];
	size_t n;
	bool overflow;
};

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *value)
{
	struct args *a = cls;

	(void)kind;
	if (a->n == API_MAX_ARGS) {
		a->overflow = true;
		return MHD_NO;
	}
	a->v[a->n].key = key;
	a->v[a->n].val = value ? value : "";
	a->n++;
	return MHD_YES;
}

static enum MHD_Result send_json(struct api_server *s, struct MHD_Connection *c,
				 unsigned status, json_t *body)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	struct MHD_Response *r;
	enum MHD_Result rc;

	if (body && !text) {
		status = 503;
		text = strdup("{\"NeutronError\":{\"type\":\"ServiceUnavailable\","
			      "\"message\":\"out of memory\",\"detail\":\"\"}}");
	}
	r = MHD_create_response_from_buffer(text ? strlen(text) : 0, text ? text : (char *)"",
					    text ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!r) {
		free(text);
		return MHD_NO;
	}
	if (text)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(r, "X-Openstack-Request-Id", "req-wyvern");
	if (status == 401 && s->auth)
		MHD_add_response_header(r, "WWW-Authenticate", s->www_auth);
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	atomic_fetch_add(&s->counts[status < 400 ? 0 : status < 500 ? 1 : 2], 1);
	return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload, size_t *upload_size, void **con_cls)
{
	struct api_server *s = cls;
	struct conn *st = *con_cls;
	struct api_resp resp = { 0, NULL };
	struct api_req req;
	struct api_ident who;
	struct args args = { .n = 0 };
	char base[300], why[300];
	const char *host;
	enum MHD_Result rc;

	(void)version;
	if (!st) {
		st = calloc(1, sizeof(*st));
		if (!st)
			return MHD_NO;
		*con_cls = st;
		return MHD_YES;
	}
	if (*upload_size) {
		if (st->len + *upload_size > API_MAX_BODY) {
			st->too_big = true;
		} else {
			char *b = realloc(st->body, st->len + *upload_size + 1);

			if (!b)
				return MHD_NO;
			memcpy(b + st->len, upload, *upload_size);
			st->body = b;
			st->len += *upload_size;
			b[st->len] = '\0';
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (st->too_big) {
		api_error(&resp, 413, "HTTPRequestEntityTooLarge", "Request body too large");
		goto send;
	}
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_arg, &args);
	if (args.overflow) {
		api_error(&resp, 400, "HTTPBadRequest", "too many query arguments");
		goto send;
	}
	host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	snprintf(base, sizeof(base), "%s://%s", api_scheme(s), host ? host : "127.0.0.1");
	req = (struct api_req){
		.method = method, .path = url, .args = args.v, .n_args = args.n,
		.body = st->body, .body_len = st->len,
		.if_match = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-Match"),
		.project = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Project-Id"),
		.base_url = base,
	};
	/* keystone: every request but version discovery (GET /) needs a token
	 * of a project; a non-admin is scoped to that project */
	if (s->auth && strspn(url, "/") != strlen(url)) {
		const char *tok = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							      "X-Auth-Token");
		int arc = api_auth_check(s->auth, tok, &who, why, sizeof(why));

		if (arc == -EACCES) {
			api_error(&resp, 401, "HTTPUnauthorized", why);
			goto send;
		}
		if (arc) {
			api_error(&resp, 503, "ServiceUnavailable", why);
			goto send;
		}
		req.project = who.project;
		req.scoped = !who.admin;
		req.read_only = !who.admin && !who.member;
	}
	api_handle(&s->nbo, &req, &resp);
send:
	rc = send_json(s, c, resp.status, resp.body);
	json_decref(resp.body);
	return rc;
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
		    enum MHD_RequestTerminationCode toe)
{
	struct conn *st = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (st) {
		free(st->body);
		free(st);
		*con_cls = NULL;
	}
}

static int parse_listen(const char *s, struct sockaddr_storage *sa, char *err, size_t errlen)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)sa;
	const char *colon, *h = s;
	unsigned long port;
	char host[64], *end;
	size_t hl;

	memset(sa, 0, sizeof(*sa));
	if (s[0] == '[') {
		const char *e = strchr(s, ']');

		if (!e || e[1] != ':')
			goto bad;
		h = s + 1;
		hl = (size_t)(e - h);
		colon = e + 1;
	} else {
		if (!(colon = strrchr(s, ':')))
			goto bad;
		hl = (size_t)(colon - s);
	}
	if (!hl || hl >= sizeof(host))
		goto bad;
	memcpy(host, h, hl);
	host[hl] = '\0';
	port = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || port > 65535)
		goto bad;
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
	} else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
	} else {
		goto bad;
	}
	return 0;
bad:
	snprintf(err, errlen, "listen must be IPV4:PORT or [IPV6]:PORT (e.g. %s), not '%s'",
		 API_DEFAULT_LISTEN, s);
	return -EINVAL;
}

int api_config_key(struct api_config *cfg, const char *key, const char *val, char *msg,
		   size_t size)
{
	struct sockaddr_storage sa;
	unsigned long v;
	char *end;

	if (!strcmp(key, "enable")) {
		if (strcmp(val, "true") && strcmp(val, "false"))
			goto bool_bad;
		cfg->enable = !strcmp(val, "true");
	} else if (!strcmp(key, "listen")) {
		if (parse_listen(val, &sa, msg, size) || strlen(val) >= sizeof(cfg->listen))
			return -EINVAL;
		snprintf(cfg->listen, sizeof(cfg->listen), "%s", val);
	} else if (!strcmp(key, "db")) {
		if (strlen(val) >= sizeof(cfg->db) ||
		    ((strncmp(val, "rocksdb:", 8) || !val[8]) && (strncmp(val, "etcd://", 7) ||
								  !val[7]))) {
			snprintf(msg, size, "db must be rocksdb:/PATH or etcd://HOST:PORT[,...], "
				 "not '%s'", val);
			return -EINVAL;
		}
		snprintf(cfg->db, sizeof(cfg->db), "%s", val);
	} else if (!strcmp(key, "auth")) {
		if (strcmp(val, "noauth") && strcmp(val, "keystone")) {
			snprintf(msg, size, "auth must be noauth or keystone, not '%s'", val);
			return -EINVAL;
		}
		snprintf(cfg->auth, sizeof(cfg->auth), "%s", val);
	} else if (!strcmp(key, "keystone-url")) {
		if (strlen(val) >= sizeof(cfg->keystone_url) ||
		    (strncmp(val, "http://", 7) && strncmp(val, "https://", 8)) ||
		    !val[val[4] == 's' ? 8 : 7] || strpbrk(val, " \t\"'")) {
			snprintf(msg, size, "keystone-url must be http[s]://HOST:PORT/v3 (Keystone's "
				 "identity v3 endpoint), not '%s'", val);
			return -EINVAL;
		}
		snprintf(cfg->keystone_url, sizeof(cfg->keystone_url), "%s", val);
	} else if (!strcmp(key, "keystone-user") || !strcmp(key, "keystone-password") ||
		   !strcmp(key, "keystone-project") || !strcmp(key, "keystone-domain")) {
		char *dst = key[9] == 'u' ? cfg->keystone_user : key[9] == 'p' && key[10] == 'a' ?
			    cfg->keystone_password : key[9] == 'p' ? cfg->keystone_project :
			    cfg->keystone_domain;
		size_t cap = key[9] == 'p' && key[10] == 'a' ? sizeof(cfg->keystone_password) :
			     sizeof(cfg->keystone_user);

		if (!val[0] || strlen(val) >= cap) {
			snprintf(msg, size, "%s must be 1..%zu characters", key, cap - 1);
			return -EINVAL;
		}
		snprintf(dst, cap, "%s", val);
	} else if (!strcmp(key, "keystone-timeout") || !strcmp(key, "token-cache-size") ||
		   !strcmp(key, "token-cache-time")) {
		unsigned long lo = key[0] == 'k' ? 1 : key[12] == 's' ? 4 : 0;
		unsigned long hi = key[0] == 'k' ? 60 : key[12] == 's' ? 1048576 : 3600;

		v = strtoul(val, &end, 10);
		if (!val[0] || *end || v < lo || v > hi) {
			snprintf(msg, size, "%s must be an integer in %lu..%lu, not '%s'", key, lo,
				 hi, val);
			return -EINVAL;
		}
		*(key[0] == 'k' ? &cfg->keystone_timeout : key[12] == 's' ?
		  &cfg->token_cache_size : &cfg->token_cache_time) = (unsigned)v;
	} else if (!strcmp(key, "threads") || !strcmp(key, "underlay-mtu")) {
		bool th = key[0] == 't';

		v = strtoul(val, &end, 10);
		if (!val[0] || *end || (th ? v < 1 || v > 64 : v < 576 || v > 9216)) {
			snprintf(msg, size, "%s must be an integer in %s, not '%s'", key,
				 th ? "1..64" : "576..9216", val);
			return -EINVAL;
		}
		if (th)
			cfg->threads = (unsigned)v;
		else
			cfg->nbo.underlay_mtu = (unsigned)v;
	} else if (!strcmp(key, "network-type")) {
		if (strcmp(val, "vxlan") && strcmp(val, "geneve") && strcmp(val, "vlan") &&
		    strcmp(val, "flat") && strcmp(val, "local")) {
			snprintf(msg, size, "network-type must be vxlan, geneve, vlan, flat or "
				 "local, not '%s'", val);
			return -EINVAL;
		}
		snprintf(cfg->nbo.network_type, sizeof(cfg->nbo.network_type), "%s", val);
	} else if (!strcmp(key, "vni-ranges") || !strcmp(key, "vlan-ranges")) {
		return nbo_parse_ranges(&cfg->nbo, key[1] == 'l', val, msg, size);
	} else if (!strcmp(key, "vif-type")) {
		if (strcmp(val, "tap") && strcmp(val, "vhostuser")) {
			snprintf(msg, size, "vif-type must be tap or vhostuser, not '%s'", val);
			return -EINVAL;
		}
		snprintf(cfg->nbo.vif_type, sizeof(cfg->nbo.vif_type), "%s", val);
	} else if (!strcmp(key, "vhostuser-dir") || !strcmp(key, "default-project")) {
		bool dir = key[0] == 'v';
		size_t cap = dir ? sizeof(cfg->nbo.vhost_dir) : sizeof(cfg->nbo.default_project);

		if (strlen(val) >= cap || (dir && val[0] != '/')) {
			snprintf(msg, size, "%s must be %s shorter than %zu characters", key,
				 dir ? "an absolute path" : "a name", cap);
			return -EINVAL;
		}
		snprintf(dir ? cfg->nbo.vhost_dir : cfg->nbo.default_project, cap, "%s", val);
	} else if (!strcmp(key, "tls-cert") || !strcmp(key, "tls-key")) {
		char *dst = key[4] == 'c' ? cfg->tls_cert : cfg->tls_key;

		if (!val[0] || strlen(val) >= sizeof(cfg->tls_cert)) {
			snprintf(msg, size, "%s must be the path of a PEM file (1..%zu characters)",
				 key, sizeof(cfg->tls_cert) - 1);
			return -EINVAL;
		}
		snprintf(dst, sizeof(cfg->tls_cert), "%s", val);
	} else {
		snprintf(msg, size, "unknown key '%s' in [api] (enable, listen, db, auth, "
			 "keystone-url, keystone-user, keystone-password, keystone-project, "
			 "keystone-domain, keystone-timeout, token-cache-size, token-cache-time, "
			 "threads, network-type, vni-ranges, vlan-ranges, underlay-mtu, vif-type, "
			 "vhostuser-dir, default-project, tls-cert, tls-key)", key);
		return -EINVAL;
	}
	return 0;
bool_bad:
	snprintf(msg, size, "%s must be true or false, not '%s'", key, val);
	return -EINVAL;
}

int api_config_check(const struct api_config *cfg, const char **key, char *msg, size_t size)
{
	char *cert, *tkey;
	int rc;

	if (!strcmp(cfg->auth, "keystone") && !cfg->keystone_url[0]) {
		*key = "auth";
		snprintf(msg, size, "auth = keystone needs keystone-url (e.g. "
			 "http://127.0.0.1:5000/v3)");
		return -EINVAL;
	}
	if (cfg->keystone_user[0] && (!cfg->keystone_password[0] || !cfg->keystone_project[0])) {
		*key = "keystone-user";
		snprintf(msg, size, "keystone-user needs keystone-password and keystone-project "
			 "(the service credentials)");
		return -EINVAL;
	}
	if (!cfg->keystone_user[0] && (cfg->keystone_password[0] || cfg->keystone_project[0])) {
		*key = cfg->keystone_password[0] ? "keystone-password" : "keystone-project";
		snprintf(msg, size, "%s without keystone-user", *key);
		return -EINVAL;
	}
	rc = api_tls_load(cfg, &cert, &tkey, key, msg, size);
	api_tls_free(cert, tkey);
	return rc;
}

void api_config_defaults(struct api_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->listen, sizeof(cfg->listen), "%s", API_DEFAULT_LISTEN);
	snprintf(cfg->auth, sizeof(cfg->auth), "noauth");
	snprintf(cfg->keystone_domain, sizeof(cfg->keystone_domain), "Default");
	cfg->keystone_timeout = 5;
	cfg->token_cache_size = 1024;
	cfg->token_cache_time = 300;
	cfg->threads = 4;
	nbo_config_defaults(&cfg->nbo);
}

struct api_server *api_start(const struct api_config *cfg, struct nb *nb, char *err,
			     size_t errlen)
{
	struct sockaddr_storage sa;
	struct api_server *s;
	const union MHD_DaemonInfo *di;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
	uint16_t port;
	int e;

	const char *key;

	if (!nb || parse_listen(cfg->listen, &sa, err, errlen) ||
	    api_config_check(cfg, &key, err, errlen)) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	/* read again: the files may have changed since the config check */
	if ((e = -api_tls_load(cfg, &s->tls_cert, &s->tls_key, &key, err, errlen))) {
		free(s);
		errno = e;
		return NULL;
	}
	if (s->tls_cert)
		flags |= MHD_USE_TLS;
	if (!strcmp(cfg->auth, "keystone")) {
		if (!(s->auth = api_auth_new(cfg))) {
			e = errno;
			snprintf(err, errlen, "cannot set up Keystone auth: %s", strerror(e));
			api_tls_free(s->tls_cert, s->tls_key);
			free(s);
			errno = e;
			return NULL;
		}
		snprintf(s->www_auth, sizeof(s->www_auth), "Keystone uri=\"%.250s\"",
			 cfg->keystone_url);
	}
	nbo_init(&s->nbo, nb, &cfg->nbo);
	if (sa.ss_family == AF_INET6) {
		flags |= MHD_USE_IPv6;
		port = ntohs(((struct sockaddr_in6 *)&sa)->sin6_port);
	} else {
		port = ntohs(((struct sockaddr_in *)&sa)->sin_port);
	}
	errno = 0;
	s->mhd = MHD_start_daemon(flags, port, NULL, NULL, on_request, s,
				  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				  MHD_OPTION_THREAD_POOL_SIZE, cfg->threads ? cfg->threads : 4u,
				  MHD_OPTION_CONNECTION_LIMIT, 256u,
				  MHD_OPTION_CONNECTION_TIMEOUT, 60u,
				  MHD_OPTION_NOTIFY_COMPLETED, on_done, s,
				  /* plain HTTP: the list ends here */
				  s->tls_cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, s->tls_cert,
				  MHD_OPTION_HTTPS_MEM_KEY, s->tls_key,
				  MHD_OPTION_END);
	if (!s->mhd) {
		e = errno ? errno : EADDRINUSE;
		snprintf(err, errlen, "cannot listen on %s%s: %s", cfg->listen,
			 s->tls_cert ? " (TLS)" : "", strerror(e));
		nbo_fini(&s->nbo);
		api_auth_free(s->auth);
		api_tls_free(s->tls_cert, s->tls_key);
		free(s);
		errno = e;
		return NULL;
	}
	di = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di ? di->port : port;
	return s;
}

const char *api_scheme(const struct api_server *s)
{
	return s->tls_cert ? "https" : "http";
}

unsigned api_port(const struct api_server *s)
{
	return s->port;
}

void api_counts(const struct api_server *s, unsigned long long out[3])
{
	for (int i = 0; i < 3; i++)
		out[i] = atomic_load(&s->counts[i]);
}

void api_stop(struct api_server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->mhd);
	nbo_fini(&s->nbo);
	api_auth_free(s->auth);
	api_tls_free(s->tls_cert, s->tls_key);
	free(s);
}

void api_auth_counters(const struct api_server *s, unsigned long long out[3])
{
	if (s->auth)
		api_auth_counts(s->auth, out);
	else
		out[0] = out[1] = out[2] = 0;
}

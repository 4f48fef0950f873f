/* SPDX-License-Identifier: BSD-3-Clause
 * api/api_auth.c — Keystone token validation (libcurl + jansson) and the
 * token cache.  See api_auth.h.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "api.h"
#include "api_auth.h"

#define WAYS 4
#define MAX_ANSWER (1u << 20)           /* a token body is a few KiB */
#define SVC_MARGIN 60                   /* renew the service token this early (s) */

/* ---------------------------------------------------------------- cache */

struct tc_entry {
	uint64_t h;
	char *token;                    /* NULL: free slot */
	time_t expires;
	uint64_t used;                  /* clock at the last hit / put */
	bool valid;
	struct api_ident id;
};

struct api_tcache {
	pthread_mutex_t mu;
	size_t n;                       /* slots, a multiple of WAYS */
	uint64_t clock;
	struct tc_entry *e;
};

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ull;
	}
	return h;
}

struct api_tcache *api_tcache_new(size_t size)
{
	struct api_tcache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->n = size < WAYS ? WAYS : (size + WAYS - 1) / WAYS * WAYS;
	c->e = calloc(c->n, sizeof(*c->e));
	if (!c->e || pthread_mutex_init(&c->mu, NULL)) {
		free(c->e);
		free(c);
		errno = ENOMEM;
		return NULL;
	}
	return c;
}

void api_tcache_free(struct api_tcache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->e[i].token);
	pthread_mutex_destroy(&c->mu);
	free(c->e);
	free(c);
}

static struct tc_entry *bucket(struct api_tcache *c, uint64_t h)
{
	return &c->e[(h % (c->n / WAYS)) * WAYS];
}

int api_tcache_get(struct api_tcache *c, const char *token, time_t now,
		   struct api_ident *id)
{
	uint64_t h = fnv(token);
	struct tc_entry *b;
	int rc = 0;

	pthread_mutex_lock(&c->mu);
	b = bucket(c, h);
	for (int i = 0; i < WAYS; i++) {
		struct tc_entry *x = &b[i];

		if (!x->token || x->h != h || strcmp(x->token, token))
			continue;
		if (x->expires <= now)
			break;
		x->used = ++c->clock;
		if (x->valid) {
			*id = x->id;
			rc = 1;
		} else {
			rc = -EACCES;
		}
		break;
	}
	pthread_mutex_unlock(&c->mu);
	return rc;
}

int api_tcache_put(struct api_tcache *c, const char *token, const struct api_ident *id,
		   time_t expires, time_t now)
{
	uint64_t h = fnv(token);
	struct tc_entry *b, *victim = NULL;
	char *copy = strdup(token);

	if (!copy)
		return -ENOMEM;
	pthread_mutex_lock(&c->mu);
	b = bucket(c, h);
	for (int i = 0; i < WAYS && !victim; i++)   /* the same token */
		if (b[i].token && b[i].h == h && !strcmp(b[i].token, token))
			victim = &b[i];
	for (int i = 0; i < WAYS && !victim; i++)   /* a free slot */
		if (!b[i].token)
			victim = &b[i];
	for (int i = 0; i < WAYS && !victim; i++)   /* an expired one */
		if (b[i].expires <= now)
			victim = &b[i];
	if (!victim) {                              /* the least recently used */
		victim = &b[0];
		for (int i = 1; i < WAYS; i++)
			if (b[i].used < victim->used)
				victim = &b[i];
	}
	free(victim->token);
	victim->token = copy;
	victim->h = h;
	victim->expires = expires;
	victim->used = ++c->clock;
	victim->valid = id != NULL;
	if (id)
		victim->id = *id;
	else
		memset(&victim->id, 0, sizeof(victim->id));
	pthread_mutex_unlock(&c->mu);
	return 0;
}

size_t api_tcache_count(struct api_tcache *c)
{
	size_t n = 0;

	pthread_mutex_lock(&c->mu);
	for (size_t i = 0; i < c->n; i++)
		n += c->e[i].token != NULL;
	pthread_mutex_unlock(&c->mu);
	return n;
}

/* ---------------------------------------------------------------- parsing */

time_t api_auth_time(const char *iso)
{
	struct tm tm;
	const char *p;

	if (!iso)
		return -1;
	memset(&tm, 0, sizeof(tm));
	p = strptime(iso, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return -1;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			;
	if (*p == 'Z')
		p++;
	else if (!strcmp(p, "+00:00"))
		p += 6;
	if (*p)
		return -1;
	return timegm(&tm);
}

static bool id_ok(const char *s, size_t cap)
{
	return s && s[0] && strlen(s) < cap;
}

int api_auth_parse(const json_t *body, time_t now, struct api_ident *id, time_t *expires,
		   char *msg, size_t size)
{
	const json_t *t = json_object_get(body, "token"), *roles, *r;
	const char *project, *user;
	size_t i;

	memset(id, 0, sizeof(*id));
	if (!json_is_object(t)) {
		snprintf(msg, size, "Keystone's answer holds no token");
		return -EINVAL;
	}
	*expires = api_auth_time(json_string_value(json_object_get(t, "expires_at")));
	if (*expires == (time_t)-1) {
		snprintf(msg, size, "Keystone's token has no valid expires_at");
		return -EINVAL;
	}
	if (*expires <= now) {
		snprintf(msg, size, "The token has expired");
		return -EACCES;
	}
	project = json_string_value(json_object_get(json_object_get(t, "project"), "id"));
	user = json_string_value(json_object_get(json_object_get(t, "user"), "id"));
	if (!id_ok(project, sizeof(id->project))) {
		snprintf(msg, size, "The token is not scoped to a project");
		return -EACCES;
	}
	snprintf(id->project, sizeof(id->project), "%s", project);
	snprintf(id->user, sizeof(id->user), "%s", id_ok(user, sizeof(id->user)) ? user : "");
	roles = json_object_get(t, "roles");
	json_array_foreach(roles, i, r) {
		const char *name = json_string_value(json_object_get(r, "name")) ?: "";

		if (!strcmp(name, "admin"))
			id->admin = true;
		else if (!strcmp(name, "member") || !strcmp(name, "_member_"))
			id->member = true;
	}
	return 0;
}

/* ---------------------------------------------------------------- Keystone */

struct api_auth {
	struct api_tcache *cache;
	char url[256];
	char user[64], password[128], project[64], domain[64];
	unsigned timeout, cache_time;
	pthread_mutex_t svc_mu;         /* svc, svc_expires */
	char svc[API_TOKEN_MAX];        /* "" none yet */
	time_t svc_expires;
	atomic_ullong counts[3];
};

struct answer {
	char *buf;
	size_t len;
	bool too_big;
	char subject[API_TOKEN_MAX];    /* X-Subject-Token of the answer */
};

static size_t on_body(char *p, size_t sz, size_t n, void *cls)
{
	struct answer *a = cls;
	size_t k = sz * n;
	char *b;

	if (a->len + k > MAX_ANSWER) {
		a->too_big = true;
		return 0;
	}
	if (!(b = realloc(a->buf, a->len + k + 1)))
		return 0;
	memcpy(b + a->len, p, k);
	a->buf = b;
	a->len += k;
	b[a->len] = '\0';
	return k;
}

static size_t on_header(char *p, size_t sz, size_t n, void *cls)
{
	static const char name[] = "x-subject-token:";
	struct answer *a = cls;
	size_t k = sz * n, l = sizeof(name) - 1;

	if (k > l && !strncasecmp(p, name, l)) {
		const char *v = p + l, *e = p + k;

		while (v < e && (*v == ' ' || *v == '\t'))
			v++;
		while (e > v && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' '))
			e--;
		if ((size_t)(e - v) < sizeof(a->subject)) {
			memcpy(a->subject, v, (size_t)(e - v));
			a->subject[e - v] = '\0';
		}
	}
	return k;
}

/* One request to Keystone.  *status = the HTTP status; -EHOSTUNREACH if
 * no answer came. */
static int call(struct api_auth *a, const char *method, const char *path,
		const char *auth_token, const char *subject, const char *body, long *status,
		struct answer *ans, char *msg, size_t size)
{
	struct curl_slist *h = NULL, *x;
	char url[320], line[API_TOKEN_MAX + 32];
	CURL *c = curl_easy_init();
	CURLcode cc;
	int rc = 0;

	if (!c) {
		snprintf(msg, size, "cannot create a curl handle");
		return -EIO;
	}
	snprintf(url, sizeof(url), "%s%s", a->url, path);
	h = curl_slist_append(h, "Accept: application/json");
	if (h && body)
		h = (x = curl_slist_append(h, "Content-Type: application/json")) ? x : NULL;
	if (h && auth_token) {
		snprintf(line, sizeof(line), "X-Auth-Token: %s", auth_token);
		h = (x = curl_slist_append(h, line)) ? x : NULL;
	}
	if (h && subject) {
		snprintf(line, sizeof(line), "X-Subject-Token: %s", subject);
		h = (x = curl_slist_append(h, line)) ? x : NULL;
	}
	if (!h) {
		curl_easy_cleanup(c);
		snprintf(msg, size, "out of memory");
		return -EIO;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, ans);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, ans);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)a->timeout);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)a->timeout);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	cc = curl_easy_perform(c);
	if (cc != CURLE_OK) {
		snprintf(msg, size, "Keystone at %s is unreachable: %s", a->url,
			 ans->too_big ? "answer too large" : curl_easy_strerror(cc));
		rc = ans->too_big ? -EIO : -EHOSTUNREACH;
	} else {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return rc;
}

static void answer_reset(struct answer *ans)
{
	free(ans->buf);
	memset(ans, 0, sizeof(*ans));
}

/* A service token in out (the cached one unless renew or near expiry). */
static int service_token(struct api_auth *a, bool renew, char *out, char *msg, size_t size)
{
	struct answer ans = { 0 };
	struct api_ident id;
	json_t *req, *j = NULL;
	char *body;
	time_t now = time(NULL), exp;
	long st = 0;
	int rc;

	pthread_mutex_lock(&a->svc_mu);
	if (!renew && a->svc[0] && a->svc_expires - SVC_MARGIN > now) {
		memcpy(out, a->svc, sizeof(a->svc));
		pthread_mutex_unlock(&a->svc_mu);
		return 0;
	}
	pthread_mutex_unlock(&a->svc_mu);
	req = json_pack("{s:{s:{s:[s],s:{s:{s:s,s:{s:s},s:s}}},s:{s:{s:s,s:{s:s}}}}}",
			"auth", "identity", "methods", "password", "password", "user", "name",
			a->user, "domain", "name", a->domain, "password", a->password, "scope",
			"project", "name", a->project, "domain", "name", a->domain);
	body = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (!body) {
		snprintf(msg, size, "out of memory");
		return -EIO;
	}
	rc = call(a, "POST", "/auth/tokens", NULL, NULL, body, &st, &ans, msg, size);
	free(body);
	if (rc)
		goto out;
	if (st != 201 && st != 200) {
		snprintf(msg, size, "Keystone refused the service credentials of user '%s' "
			 "(HTTP %ld)", a->user, st);
		rc = -EIO;
		goto out;
	}
	j = ans.buf ? json_loadb(ans.buf, ans.len, 0, NULL) : NULL;
	if (!ans.subject[0] || !j || api_auth_parse(j, now, &id, &exp, msg, size)) {
		if (!ans.subject[0] || !j)
			snprintf(msg, size, "Keystone's answer to the service login is not a token");
		rc = -EIO;
		goto out;
	}
	pthread_mutex_lock(&a->svc_mu);
	snprintf(a->svc, sizeof(a->svc), "%s", ans.subject);
	a->svc_expires = exp;
	pthread_mutex_unlock(&a->svc_mu);
	snprintf(out, API_TOKEN_MAX, "%s", ans.subject);
out:
	json_decref(j);
	answer_reset(&ans);
	return rc;
}

/* A token goes into an HTTP header: printable ASCII without spaces. */
static bool token_ok(const char *t)
{
	size_t n = 0;

	for (; t[n]; n++)
		if (t[n] <= ' ' || t[n] > '~')
			return false;
	return n > 0 && n < API_TOKEN_MAX;
}

int api_auth_check(struct api_auth *a, const char *token, struct api_ident *id, char *msg,
		   size_t size)
{
	struct answer ans = { 0 };
	char *svc = NULL;
	time_t now = time(NULL), exp = 0, until;
	json_t *j = NULL;
	long st = 0;
	int rc, tries = 0;

	snprintf(msg, size, "The request you have made requires authentication.");
	if (!token || !token_ok(token))
		return -EACCES;
	rc = api_tcache_get(a->cache, token, now, id);
	if (rc) {
		atomic_fetch_add(&a->counts[0], 1);
		return rc > 0 ? 0 : -EACCES;
	}
	atomic_fetch_add(&a->counts[1], 1);
	if (a->user[0] && !(svc = malloc(API_TOKEN_MAX))) {
		snprintf(msg, size, "out of memory");
		rc = -EIO;
		goto out;
	}
again:
	if (svc && (rc = service_token(a, tries > 0, svc, msg, size)))
		goto out;
	rc = call(a, "GET", "/auth/tokens", svc ? svc : token, token, NULL, &st, &ans, msg,
		  size);
	if (rc)
		goto out;
	if (st == 401 && svc && !tries++) {     /* the service token may have been revoked */
		answer_reset(&ans);
		goto again;
	}
	if (st == 401 || st == 404) {
		snprintf(msg, size, "The request you have made requires authentication.");
		rc = -EACCES;
		api_tcache_put(a->cache, token, NULL, now + a->cache_time, now);
		goto out;
	}
	if (st != 200) {
		snprintf(msg, size, "Keystone answered HTTP %ld to a token validation", st);
		rc = -EIO;
		goto out;
	}
	j = ans.buf ? json_loadb(ans.buf, ans.len, 0, NULL) : NULL;
	rc = j ? api_auth_parse(j, now, id, &exp, msg, size) : -EINVAL;
	if (rc == -EINVAL) {
		if (!j)
			snprintf(msg, size, "Keystone's answer to a token validation is not JSON");
		rc = -EIO;
		goto out;
	}
	if (rc) {       /* expired, not project-scoped */
		api_tcache_put(a->cache, token, NULL, now + a->cache_time, now);
		goto out;
	}
	until = now + (time_t)a->cache_time;
	api_tcache_put(a->cache, token, id, exp < until ? exp : until, now);
out:
	if (rc && rc != -EACCES)
		atomic_fetch_add(&a->counts[2], 1);
	json_decref(j);
	answer_reset(&ans);
	free(svc);
	return rc;
}

struct api_auth *api_auth_new(const struct api_config *cfg)
{
	struct api_auth *a;

	if (!cfg->keystone_url[0]) {
		errno = EINVAL;
		return NULL;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		errno = ENOMEM;
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (!a || !(a->cache = api_tcache_new(cfg->token_cache_size)) ||
	    pthread_mutex_init(&a->svc_mu, NULL)) {
		if (a)
			api_tcache_free(a->cache);
		free(a);
		curl_global_cleanup();
		errno = ENOMEM;
		return NULL;
	}
	snprintf(a->url, sizeof(a->url), "%s", cfg->keystone_url);
	while (a->url[0] && a->url[strlen(a->url) - 1] == '/')
		a->url[strlen(a->url) - 1] = '\0';
	snprintf(a->user, sizeof(a->user), "%s", cfg->keystone_user);
	snprintf(a->password, sizeof(a->password), "%s", cfg->keystone_password);
	snprintf(a->project, sizeof(a->project), "%s", cfg->keystone_project);
	snprintf(a->domain, sizeof(a->domain), "%s", cfg->keystone_domain);
	a->timeout = cfg->keystone_timeout ? cfg->keystone_timeout : 5;
	a->cache_time = cfg->token_cache_time;
	return a;
}

void api_auth_free(struct api_auth *a)
{
	if (!a)
		return;
	api_tcache_free(a->cache);
	pthread_mutex_destroy(&a->svc_mu);
	free(a);
	curl_global_cleanup();
}

void api_auth_counts(const struct api_auth *a, unsigned long long out[3])
{
	for (int i = 0; i < 3; i++)
		out[i] = atomic_load(&a->counts[i]);
}

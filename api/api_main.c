/* SPDX-License-Identifier: BSD-3-Clause
 * api/api_main.c — wyvern-api: the Neutron API as its own process, for a
 * replicated database (etcd): stateless, so any number of instances may
 * serve one cluster.  With an embedded RocksDB, run the API inside wyvernd
 * instead ([api] enable = true): only one process can open that store.
 *
 *   wyvern-api [--config FILE] [--check-config] [--db URL] [--listen HOST:PORT]
 *              [--KEY VALUE ...]      any [api] key (vni-ranges, threads, ...)
 *
 * The config file holds one [api] section, keys as in wyvernd's [api]
 * (conf/wyvernd.conf); errors say FILE:LINE.  Command-line keys override
 * the file.  Prints "wyvern-api: listening on http[s]://HOST:PORT" once
 * ready (the bound port when PORT is 0; https with tls-cert / tls-key).
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "db.h"
#include "nb.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* The line of key's last `key =` in path's [api] section, 0 if none. */
static int key_line(const char *path, const char *key)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	int ln = 0, found = 0;
	size_t kl = strlen(key);

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *s = trim(line);

		ln++;
		if (!strncmp(s, key, kl) && (isspace((unsigned char)s[kl]) || s[kl] == '='))
			found = ln;
	}
	fclose(f);
	return found;
}

static int load_file(struct api_config *cfg, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[1024], msg[300];
	bool in_api = false, seen = false;
	int ln = 0;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		char *s = trim(line), *eq;

		ln++;
		if (!*s || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *e = strchr(s, ']');

			if (!e || e[1]) {
				snprintf(err, errlen, "%s:%d: malformed section header '%s'", path,
					 ln, s);
				goto bad;
			}
			*e = '\0';
			if (strcmp(s + 1, "api")) {
				snprintf(err, errlen, "%s:%d: unknown section [%s] (wyvern-api "
					 "reads [api] only)", path, ln, s + 1);
				goto bad;
			}
			if (seen) {
				snprintf(err, errlen, "%s:%d: section [api] repeated", path, ln);
				goto bad;
			}
			in_api = seen = true;
			continue;
		}
		if (!in_api) {
			snprintf(err, errlen, "%s:%d: key outside of any section", path, ln);
			goto bad;
		}
		if (!(eq = strchr(s, '='))) {
			snprintf(err, errlen, "%s:%d: expected KEY = VALUE", path, ln);
			goto bad;
		}
		*eq = '\0';
		if (api_config_key(cfg, trim(s), trim(eq + 1), msg, sizeof(msg))) {
			snprintf(err, errlen, "%s:%d: %s", path, ln, msg);
			goto bad;
		}
	}
	fclose(f);
	return 0;
bad:
	fclose(f);
	return -EINVAL;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: wyvern-api [--config FILE] [--check-config] [--db URL] "
		"[--listen HOST:PORT] [--KEY VALUE ...]\n"
		"  KEY: any [api] key (vni-ranges, vlan-ranges, network-type, underlay-mtu,\n"
		"       threads, vif-type, vhostuser-dir, default-project, auth, keystone-url,\n"
		"       keystone-user, keystone-password, keystone-project, keystone-domain,\n"
		"       keystone-timeout, token-cache-size, token-cache-time, tls-cert, tls-key)\n");
}

int main(int argc, char **argv)
{
	struct api_config cfg;
	struct api_server *srv = NULL;
	struct db *db = NULL;
	struct nb *nb = NULL;
	const char *config = NULL;
	bool check = false;
	char err[600], msg[300];
	int i, rc = 1;

	api_config_defaults(&cfg);
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--config") && i + 1 < argc)
			config = argv[++i];
	if (config && load_file(&cfg, config, err, sizeof(err))) {
		fprintf(stderr, "wyvern-api: %s\n", err);
		return 2;
	}
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--config")) {
			i++;
		} else if (!strcmp(a, "--check-config")) {
			check = true;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strncmp(a, "--", 2) && i + 1 < argc) {
			if (api_config_key(&cfg, a + 2, argv[++i], msg, sizeof(msg))) {
				fprintf(stderr, "wyvern-api: %s: %s\n", a, msg);
				return 2;
			}
		} else {
			usage(stderr);
			return 2;
		}
	}
	{
		const char *key = "auth";

		if (api_config_check(&cfg, &key, msg, sizeof(msg))) {
			int ln = config ? key_line(config, key) : 0;

			if (ln)
				fprintf(stderr, "wyvern-api: %s:%d: %s\n", config, ln, msg);
			else
				fprintf(stderr, "wyvern-api: %s\n", msg);
			return 2;
		}
	}
	if (!cfg.db[0]) {
		fprintf(stderr, "wyvern-api: no database: give --db etcd://HOST:PORT (or [api] "
			"db)\n");
		return 2;
	}
	if (check) {
		printf("configuration OK\n");
		return 0;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (!(db = db_open(cfg.db))) {
		fprintf(stderr, "wyvern-api: cannot open %s: %s\n", cfg.db, strerror(errno));
		goto out;
	}
	if (!(nb = nb_open(db, NB_F_INDEX | NB_F_DP_BLOCK))) {
		fprintf(stderr, "wyvern-api: cannot load the northbound index from %s: %s\n",
			cfg.db, strerror(errno));
		goto out;
	}
	if (!(srv = api_start(&cfg, nb, err, sizeof(err)))) {
		fprintf(stderr, "wyvern-api: %s\n", err);
		goto out;
	}
	{
		char host[80];
		const char *c = strrchr(cfg.listen, ':');

		snprintf(host, sizeof(host), "%.*s", (int)(c - cfg.listen), cfg.listen);
		printf("wyvern-api: listening on %s://%s:%u (db %s, auth %s)\n", api_scheme(srv),
		       host, api_port(srv), cfg.db, cfg.auth);
		fflush(stdout);
	}
	while (!stop)
		pause();
	rc = 0;
	{
		unsigned long long n[3];
		struct nb_stats st;

		api_counts(srv, n);
		nb_get_stats(nb, &st);
		fprintf(stderr, "wyvern-api: stopping; answers 2xx %llu 4xx %llu 5xx %llu; nb: "
			"ops %llu txns %llu retries %llu unknown %llu resolved %llu mac_regen %llu\n",
			n[0], n[1], n[2], (unsigned long long)st.ops, (unsigned long long)st.txns,
			(unsigned long long)st.retries, (unsigned long long)st.unknown,
			(unsigned long long)st.resolved, (unsigned long long)st.mac_regen);
	}
out:
	api_stop(srv);
	nb_close(nb);
	db_close(db);
	return rc;
}

/* SPDX-License-Identifier: BSD-3-Clause
 * api/api_tls.c — `[api] tls-cert` / `tls-key`: the server's certificate
 * (PEM, the chain may follow it) and private key (PEM, unencrypted),
 * served by libmicrohttpd with GnuTLS.
 *
 * The files are read and checked here, with GnuTLS itself, before
 * libmicrohttpd sees them: libmicrohttpd only says "failed" (on stderr)
 * when a key or certificate does not load, so each fault gets its own
 * message naming the file — missing or unreadable, empty or too big, not a
 * certificate, not a private key (or an encrypted one), or a key that does
 * not belong to the certificate.  wyvernd runs the check while it reads
 * its configuration (FILE:LINE of the key), wyvern-api before it opens the
 * database, and api_start() again when it loads the files it serves.
 *
 * Threads: any; nothing is shared.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>

#include "api.h"
#include "api_priv.h"

#define API_TLS_MAX_FILE (1u << 20)

/* The whole file as a NUL-terminated string; NULL with the reason in msg. */
static char *read_pem(const char *key, const char *path, char *msg, size_t size)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, got;

	if (!f) {
		snprintf(msg, size, "%s: cannot read '%s': %s", key, path, strerror(errno));
		return NULL;
	}
	if (!(buf = malloc(API_TLS_MAX_FILE + 1))) {
		snprintf(msg, size, "%s: out of memory", key);
		goto out;
	}
	while ((got = fread(buf + n, 1, API_TLS_MAX_FILE + 1 - n, f)) > 0)
		n += got;
	if (ferror(f)) {
		snprintf(msg, size, "%s: cannot read '%s': %s", key, path, strerror(EIO));
		goto fail;
	}
	if (n > API_TLS_MAX_FILE) {
		snprintf(msg, size, "%s: '%s' is larger than %u bytes: not a PEM file", key, path,
			 API_TLS_MAX_FILE);
		goto fail;
	}
	if (!n || memchr(buf, '\0', n)) {
		snprintf(msg, size, "%s: '%s' is %s, not a PEM file", key, path,
			 n ? "binary" : "empty");
		goto fail;
	}
	buf[n] = '\0';
	goto out;
fail:
	free(buf);
	buf = NULL;
out:
	fclose(f);
	return buf;
}

static int check_cert(const char *path, const char *pem, char *msg, size_t size)
{
	gnutls_datum_t d = { (unsigned char *)pem, (unsigned)strlen(pem) };
	gnutls_x509_crt_t *crts = NULL;
	unsigned n = 0;
	int rc;

	rc = gnutls_x509_crt_list_import2(&crts, &n, &d, GNUTLS_X509_FMT_PEM,
					  GNUTLS_X509_CRT_LIST_FAIL_IF_UNSORTED);
	if (rc < 0 || !n) {
		snprintf(msg, size, "tls-cert: '%s' holds no PEM certificate (%s)", path,
			 rc < 0 ? gnutls_strerror(rc) : "none found");
		return -EINVAL;
	}
	for (unsigned i = 0; i < n; i++)
		gnutls_x509_crt_deinit(crts[i]);
	gnutls_free(crts);
	return 0;
}

static int check_key(const char *path, const char *pem, char *msg, size_t size)
{
	gnutls_datum_t d = { (unsigned char *)pem, (unsigned)strlen(pem) };
	gnutls_x509_privkey_t k;
	int rc;

	if (gnutls_x509_privkey_init(&k) < 0) {
		snprintf(msg, size, "tls-key: out of memory");
		return -ENOMEM;
	}
	rc = gnutls_x509_privkey_import2(k, &d, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN);
	gnutls_x509_privkey_deinit(k);
	if (rc < 0) {
		snprintf(msg, size, "tls-key: '%s' holds no unencrypted PEM private key (%s)",
			 path, gnutls_strerror(rc));
		return -EINVAL;
	}
	return 0;
}

static int check_pair(const struct api_config *cfg, const char *cert, const char *key,
		      char *msg, size_t size)
{
	gnutls_datum_t c = { (unsigned char *)cert, (unsigned)strlen(cert) };
	gnutls_datum_t k = { (unsigned char *)key, (unsigned)strlen(key) };
	gnutls_certificate_credentials_t cr;
	int rc;

	if (gnutls_certificate_allocate_credentials(&cr) < 0) {
		snprintf(msg, size, "tls-key: out of memory");
		return -ENOMEM;
	}
	/* GnuTLS compares the key with the certificate's public key here */
	rc = gnutls_certificate_set_x509_key_mem2(cr, &c, &k, GNUTLS_X509_FMT_PEM, NULL, 0);
	gnutls_certificate_free_credentials(cr);
	if (rc < 0) {
		snprintf(msg, size, "tls-key: '%s' does not go with tls-cert '%s' (%s)",
			 cfg->tls_key, cfg->tls_cert, gnutls_strerror(rc));
		return -EINVAL;
	}
	return 0;
}

int api_tls_load(const struct api_config *cfg, char **cert, char **key, const char **bad,
		 char *msg, size_t size)
{
	char *c = NULL, *k = NULL;
	int rc = -EINVAL;

	*cert = *key = NULL;
	if (!cfg->tls_cert[0] && !cfg->tls_key[0])
		return 0;
	*bad = cfg->tls_cert[0] ? "tls-cert" : "tls-key";
	if (!cfg->tls_cert[0] || !cfg->tls_key[0]) {
		snprintf(msg, size, "%s needs %s too (TLS takes both or neither)", *bad,
			 cfg->tls_cert[0] ? "tls-key" : "tls-cert");
		return -EINVAL;
	}
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		snprintf(msg, size, "tls-cert: this libmicrohttpd was built without TLS "
			 "(GnuTLS); serve plain HTTP or install one with TLS");
		return -ENOTSUP;
	}
	if (!(c = read_pem("tls-cert", cfg->tls_cert, msg, size)) ||
	    check_cert(cfg->tls_cert, c, msg, size))
		goto fail;
	*bad = "tls-key";
	if (!(k = read_pem("tls-key", cfg->tls_key, msg, size)) ||
	    check_key(cfg->tls_key, k, msg, size) || check_pair(cfg, c, k, msg, size))
		goto fail;
	*cert = c;
	*key = k;
	return 0;
fail:
	free(c);
	if (k) {
		explicit_bzero(k, strlen(k));
		free(k);
	}
	return rc;
}

void api_tls_free(char *cert, char *key)
{
	free(cert);
	if (key) {
		explicit_bzero(key, strlen(key));
		free(key);
	}
}

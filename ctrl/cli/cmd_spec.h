/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/cli/cmd_spec.h — the one table of wyvernd's management commands:
 * their words, arguments, a one-line description and who may run them.
 *
 * wyctl reads it to print `wyctl help [COMMAND]` and to suggest a command
 * for a typo without a daemon; the daemon's request dispatcher reads it for
 * the privilege a command needs and for its usage line.  A command that a
 * feature serves must have its line here (a unit test checks that every
 * registered handler has a spec and every spec a handler).
 *
 * No DPDK (ctrl/cli builds without it).  Constant data: any thread.
 */
#ifndef WYV_CTRL_CLI_CMD_SPEC_H
#define WYV_CTRL_CLI_CMD_SPEC_H

#include <stddef.h>

/* Who may run a command over the management socket. */
enum ctrl_cmd_priv {
	CTRL_CMD_READ,  /* show/dump/trace: the socket's group */
	CTRL_CMD_ADMIN, /* changes state: uid 0 or the configured admin group */
};

struct ctrl_cmd_spec {
	const char *words;  /* "show ports", "trace": the words that select it */
	const char *args;   /* argument synopsis after the words, "" if none */
	const char *help;   /* one line: what it does */
	enum ctrl_cmd_priv priv;
	const char *topic;  /* group in `wyctl help`: "show", "datapath", ... */
};

/* Every command, in help order.  *n = count. */
const struct ctrl_cmd_spec *ctrl_cmd_specs(size_t *n);

/* The command argv starts with (longest match of its words), or NULL.
 * *nwords (may be NULL) = how many argv words the match consumed. */
const struct ctrl_cmd_spec *ctrl_cmd_spec_find(int argc, char *const *argv, int *nwords);

/* The spec whose words are exactly `words` ("show ports"), or NULL. */
const struct ctrl_cmd_spec *ctrl_cmd_spec_get(const char *words);

/* For a command that matched nothing: the closest known command words
 * (edit distance on the first one or two words), or NULL if none is near. */
const char *ctrl_cmd_suggest(int argc, char *const *argv);

/* Edit distance (Levenshtein) of two short strings; used for suggestions. */
unsigned ctrl_edit_distance(const char *a, const char *b);

#endif

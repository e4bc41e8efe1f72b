/* SPDX-License-Identifier: MIT */
/*
 * dconf.h — rkmpd's configuration file (DESIGN.md §9): one JSON document
 * {"format": "rkmpd-config", "version": 1, "listen", "state_dir", "keytable",
 * "events", "rp_hook", "control", "cookie_threshold", "retransmit_timeout",
 * "retransmit_tries", "peers": [...]},
 * validated whole before anything starts.  A value takes the words of the
 * step tools' options (profiles, identities, proposals, protocols, DH groups).
 *
 * An error is RKMP_E_USAGE (the configuration is the daemon's usage), where =
 * the key's path in the document ("peers[2].children[0].lifetime"), detail =
 * the reason; RKMP_E_SYSTEM when the file cannot be read.
 */
#ifndef RKMP_DCONF_H
#define RKMP_DCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sa.h"

#define RKMP_DCONF_CHILD_MAX	8
#define RKMP_DCONF_LISTEN_MAX	16
#define RKMP_DCONF_PEER_MAX	1024
#define RKMP_DCONF_NAME_MAX	64

enum rkmp_dconf_start {
	RKMP_DCONF_ALWAYS,		/* "always": initiate at start */
	RKMP_DCONF_ON_DEMAND,		/* "on-demand": when asked (rkmpctl) */
	RKMP_DCONF_RESPOND,		/* "respond": only answer */
};

struct rkmp_dconf_child {
	uint8_t		 protocol;	/* wire.h RKMP_PROTO_* */
	uint16_t	 pfs;		/* KE group of a rekey; 0: none */
	uint32_t	 lifetime;	/* seconds */
	uint32_t	 rekey_margin;	/* seconds before lifetime ends */
};

struct rkmp_dconf_peer {
	char		 name[RKMP_DCONF_NAME_MAX];
	char		 address[64];	/* numeric IPv4 or IPv6 */
	uint16_t	 port;
	enum rkmp_profile profile;
	char		 id[RKMP_SA_ID_MAX], peer_id[RKMP_SA_ID_MAX];
	const char	*psk_file, *cert, *key, *ca;	/* into the document's strings */
	char		 proposal[RKMP_SA_TEXT_MAX], child_proposal[RKMP_SA_TEXT_MAX];
	enum rkmp_dconf_start start;
	uint32_t	 ike_lifetime, dpd;
	struct rkmp_dconf_child children[RKMP_DCONF_CHILD_MAX];
	size_t		 nchildren;
};

struct rkmp_dconf {
	char		*path;
	const char	*listen[RKMP_DCONF_LISTEN_MAX];
	size_t		 nlisten;
	const char	*state_dir, *keytable, *events, *rp_hook, *control;
	unsigned	 cookie_threshold;
	unsigned	 retransmit_timeout, retransmit_tries;	/* base 1.8 (DESIGN.md §6) */
	struct rkmp_dconf_peer *peers;
	size_t		 npeers;
	void		*doc;		/* the JSON document the strings live in */
};

#define RKMP_DCONF_STATE_DIR	"/var/lib/rkmpd"
#define RKMP_DCONF_CONTROL	"/run/rkmpd.sock"
#define RKMP_DCONF_LISTEN	"0.0.0.0:50500"	/* without "listen": with rkmp peers (or none) */
#define RKMP_DCONF_LISTEN_IKE	"0.0.0.0:500"	/* ... and with IPv4 ikev2 peers (+ 4500) */
#define RKMP_DCONF_COOKIE	64		/* half-open SAs before cookies */
#define RKMP_DCONF_LIFETIME	(9 * 3600)	/* a child's, as the key table's */
#define RKMP_DCONF_IKE_LIFETIME	(4 * 3600)
#define RKMP_DCONF_DPD		30
#define RKMP_DCONF_RTX_TIMEOUT	4		/* strongSwan's retransmit_timeout */
#define RKMP_DCONF_RTX_TRIES	5		/* and retransmit_tries */

/* Read and validate path into a new *out (freed with rkmp_dconf_free). */
int	rkmp_dconf_load(const char *path, struct rkmp_dconf **out);
/* The same over text in memory (name for the messages; no file is read but
 * the PSK, certificate and key files the peers name). */
int	rkmp_dconf_parse(const char *name, const char *text, size_t len, struct rkmp_dconf **out);
void	rkmp_dconf_free(struct rkmp_dconf *c);
const char *rkmp_dconf_start_name(enum rkmp_dconf_start s);
/* The peer called name, or NULL. */
const struct rkmp_dconf_peer *rkmp_dconf_peer(const struct rkmp_dconf *c, const char *name);

#endif

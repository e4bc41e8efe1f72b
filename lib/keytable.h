/* SPDX-License-Identifier: MIT */
/*
 * keytable.h — the RFC 7210 key table (DESIGN.md §7): the rows a routing
 * protocol reads its keys from, kept as one JSON file
 *
 *   {"format": "rkmp-keytable", "version": 1, "rows": [ROW, ...]}
 *
 * whose rows have exactly RFC 7210's columns (AdminKeyName, LocalKeyName,
 * PeerKeyName, Peers, Interfaces, Protocol, ProtocolSpecificInfo, KDF, AlgID,
 * Key, Direction, SendLifetimeStart, SendLifetimeEnd, AcceptLifetimeStart,
 * AcceptLifetimeEnd) plus an optional "x-rkmp" object.  Times are UTC
 * "YYYYmmddHHMMSSZ"; the RFC's spellings "SendLifeTimeEnd",
 * "AcceptLifeTimeStart" and "AcceptLifeTimeEnd" are read, and written with a
 * uniform "Lifetime".  Rows are unique by (Protocol, peer, LocalKeyName).
 *
 * Reading refuses a file that group or others may read (its keys are secret).
 * Writers lock "FILE.lock" beside the table (flock, exclusive) for the whole
 * read-modify-write, and replace the table atomically (temp file in the same
 * directory, fsync, rename, fsync of the directory) with mode 0600, so that
 * concurrent writers never lose a row and a killed writer never leaves a
 * partial table.
 *
 * The operations follow the draft's interfaces (draft-zhang-karp-rkmp-00 §5:
 * Keytable_insertSA, Keytable_getSA, Keytable_delete, Keytable_rekeySA, and
 * the table side of RP_revokeSA) and RFC 7210 §3 (select a key for sending,
 * look one up for receiving).  The "SPI" of these interfaces is the row's
 * LocalKeyName read as a hexadecimal number; SPI 0 means "every row".
 *
 * Errors: RKMP_E_STATE for a malformed table or row, with the detail naming
 * the row (0-based, as jq's .rows[N]), the column and the value:
 * "row 3: SendLifetimeEnd \"20261301000000Z\": month 13"; a Key is never
 * quoted.  RKMP_E_REFUSED for an insert of an existing row and for "no such
 * row"; RKMP_E_USAGE for bad arguments; RKMP_E_SYSTEM for I/O.
 */
#ifndef RKMP_KEYTABLE_H
#define RKMP_KEYTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rkmp_buf;
struct rkmp_sa;
struct rkmp_sa_child;

#define RKMP_KEYTABLE_FORMAT		"rkmp-keytable"
#define RKMP_KEYTABLE_VERSION		1
#define RKMP_KEYTABLE_KEY_MAX		256		/* Key column, octets */
#define RKMP_KEYTABLE_FILE_MAX		(1024u << 20)	/* refuse bigger files */
#define RKMP_KEYTABLE_SEND_DELAY	5		/* δ, rkmp-karp.md §9 */
#define RKMP_KEYTABLE_GRACE		120		/* G */
#define RKMP_KEYTABLE_LIFETIME		(9 * 3600)	/* child SA hard lifetime */

enum rkmp_keytable_dir {
	RKMP_KEYTABLE_IN,		/* "in" */
	RKMP_KEYTABLE_OUT,		/* "out" */
	RKMP_KEYTABLE_BOTH,		/* "both" */
	RKMP_KEYTABLE_DISABLED,		/* "disabled" */
};

/*
 * The "x-rkmp" object: what RFC 7210 has no column for.  Known members are
 * split out (NULL / -1 when absent); any other member is kept as it was, in
 * extra (minified JSON members without the braces, NULL when none).
 */
struct rkmp_keytable_x {
	bool		 present;
	int		 proto_id;		/* 201, 202, 203, 3; -1 absent */
	const char	*child_spi_local;	/* hex */
	const char	*child_spi_peer;
	const char	*rkmp_sa;		/* "spi_i:spi_r", 16 + 16 hex digits */
	const char	*role;			/* "initiator" | "responder" */
	const char	*state;			/* "active", "rekeyed", ... */
	const char	*extra;
};

/*
 * One row.  The strings and arrays belong to the table the row is in; a row
 * given to rkmp_keytable_insert() may point anywhere (it is copied).
 */
struct rkmp_keytable_row {
	const char		 *admin_name;	/* AdminKeyName */
	const char		 *local_name;	/* LocalKeyName: lowercase hex (RFC 7210 §5.1) */
	const char		 *peer_name;	/* PeerKeyName: lowercase hex, "" for a group key */
	const char * const	 *peers;	/* Peers: IP addresses or "group:NAME" */
	size_t			  npeers;
	const char * const	 *interfaces;	/* Interfaces: names, or "all" */
	size_t			  ninterfaces;
	uint8_t			  protocol;	/* a descriptor's (protocols.c): RKMP_PROTO_TCP_AO, ... */
	const char		 *psi;		/* ProtocolSpecificInfo: a JSON object (minified) */
	const char		 *kdf;		/* KDF: "none", "HMAC-SHA-1", "AES-128-CMAC" */
	const char		 *alg_id;	/* AlgID */
	const uint8_t		 *key;		/* Key (secret) */
	size_t			  key_len;
	enum rkmp_keytable_dir	  direction;
	int64_t			  send_start, send_end;		/* seconds since the epoch, UTC */
	int64_t			  accept_start, accept_end;
	struct rkmp_keytable_x	  x;
};

struct rkmp_keytable;

/* An empty table; NULL when out of memory.  _free wipes every key. */
struct rkmp_keytable *rkmp_keytable_new(void);
void	rkmp_keytable_free(struct rkmp_keytable *kt);
size_t	rkmp_keytable_count(const struct rkmp_keytable *kt);
/* Row i, valid until the table changes or is freed; NULL past the end or when
 * memory runs out (a row read from a file is built on first use: a table is
 * not safe to share between threads). */
const struct rkmp_keytable_row *rkmp_keytable_at(const struct rkmp_keytable *kt, size_t i);

/* ------------------------------------------------------------ names, times */

/* "tcp-ao", "bfd", ... (the protocols' descriptors, protocols.c); NULL for another ID. */
const char *rkmp_keytable_protocol_name(uint8_t proto);
/* A name above, or its protocol ID (201, 202, 203, 207, 3); false when neither. */
bool	rkmp_keytable_protocol_value(const char *name, uint8_t *proto);
const char *rkmp_keytable_dir_name(enum rkmp_keytable_dir d);

/* "YYYYmmddHHMMSSZ" (also "YYYY-mm-ddTHH:MM:SSZ") -> seconds since the epoch.
 * RKMP_E_INVALID with the detail ("month 13", "15 characters expected"). */
int	rkmp_keytable_time_parse(const char *s, int64_t *t);
/* seconds -> "YYYYmmddHHMMSSZ" */
void	rkmp_keytable_time_format(int64_t t, char out[16]);

/* A key name (LocalKeyName, --spi) as a number: 1 to 16 hex digits, an
 * optional 0x.  false when it is not one. */
bool	rkmp_keytable_spi_parse(const char *s, uint64_t *spi);
/* "SPI_I:SPI_R", 16 hex digits each. */
bool	rkmp_keytable_sa_parse(const char *s, uint64_t *spi_i, uint64_t *spi_r);
/* An address for --peer and Peers: IPv4, IPv6, or "group:NAME". */
bool	rkmp_keytable_peer_ok(const char *s);

/* ------------------------------------------------------------ JSON */

/* A whole table document into an empty kt.  name is the file name for the
 * error detail ("t.json: row 2: Key: odd number of hex digits (39)").  The
 * text is strict JSON (RFC 8259): a member name given twice in any object,
 * compared after unescaping, is refused ("row 0: ProtocolSpecificInfo.send.
 * tcp_option_flag given twice"), and so is an integer outside I-JSON's
 * ±(2^53-1) or another number beyond a double (RFC 7493 §2.2); what is
 * written stays within them. */
int	rkmp_keytable_parse(struct rkmp_keytable *kt, const char *name, const char *text,
	    size_t len);
/* Rows to insert: one row object, an array of them, or several objects one
 * after another (NDJSON); appended to kt, validated and checked for
 * duplicates among themselves.  Errors name "row N" of the input. */
int	rkmp_keytable_parse_rows(struct rkmp_keytable *kt, const char *name, const char *text,
	    size_t len);
/* Check one row; the detail starts with "row INDEX: " (nothing when
 * index is SIZE_MAX). */
int	rkmp_keytable_validate(const struct rkmp_keytable_row *row, size_t index);
/* One row as one line of JSON (no newline), columns in RFC 7210 order: as
 * in the table file (", " and ": "), or compact (stdout's NDJSON). */
int	rkmp_keytable_row_json(const struct rkmp_keytable_row *row, bool compact,
	    struct rkmp_buf *out);
/* The whole document: one row per line, a trailing newline. */
int	rkmp_keytable_format(const struct rkmp_keytable *kt, struct rkmp_buf *out);

/* ------------------------------------------------------------ files */

/*
 * Load a table for reading (no lock: writers replace the file atomically).
 * RKMP_E_STATE when it does not exist, is not a valid table, or group or
 * others may read or write it; RKMP_E_SYSTEM when it cannot be read.
 */
int	rkmp_keytable_load(const char *path, struct rkmp_keytable **out);
/* Write atomically with mode 0600 (the caller holds the lock). */
int	rkmp_keytable_save(const char *path, const struct rkmp_keytable *kt);

/*
 * One locked read-modify-write: lock FILE.lock, load the table (a missing
 * table is an empty one when create, else RKMP_E_STATE), run fn, and save
 * when fn returns > 0.  fn returns < 0 (an error: nothing is written), 0
 * (nothing changed) or > 0.  Returns fn's value or the first error.
 */
int	rkmp_keytable_update(const char *path, bool create,
	    int (*fn)(struct rkmp_keytable *kt, void *arg), void *arg);

/* ------------------------------------------------------------ operations */

/* Called for each row an operation removes, before it goes. */
typedef void (*rkmp_keytable_removed_fn)(const struct rkmp_keytable_row *row, void *arg);

/*
 * Keytable_insertSA: validate and copy row into kt.  RKMP_E_REFUSED when a
 * row with the same Protocol and LocalKeyName shares a peer with it.
 */
int	rkmp_keytable_insert(struct rkmp_keytable *kt, const struct rkmp_keytable_row *row);
/*
 * Every row of rows, or none: as rkmp_keytable_insert, with one hash pass
 * over the table (an insert of many rows into a big table stays linear).
 * The detail names the row of the input ("row 3 of the input: ...").
 */
int	rkmp_keytable_insert_all(struct rkmp_keytable *kt, const struct rkmp_keytable *rows);
/*
 * Keytable_getSA: the index of the first row at or after from with this
 * protocol, peer in Peers and (spi != 0) LocalKeyName spi; -1 when none.
 */
long	rkmp_keytable_get(const struct rkmp_keytable *kt, size_t from, uint8_t proto,
	    const char *peer, uint64_t spi);
/* Whether row i names peer among its Peers (as rkmp_keytable_get compares them). */
bool	rkmp_keytable_row_has_peer(const struct rkmp_keytable *kt, size_t i, const char *peer);
/*
 * Keytable_delete: remove the rows rkmp_keytable_get would return (spi 0:
 * every row of the protocol for the peer).  The count in *removed;
 * RKMP_E_REFUSED when there was none.
 */
int	rkmp_keytable_delete(struct rkmp_keytable *kt, uint8_t proto, const char *peer,
	    uint64_t spi, size_t *removed, rkmp_keytable_removed_fn cb, void *arg);
/*
 * Keytable_rekeySA (RFC 7210 §6): insert new_row, then end the old row's
 * (proto, peer, old_spi) send window where the new one's starts and its
 * accept window grace seconds later (never lengthening either, never before
 * their starts), and mark its x-rkmp state "rekeyed".  RKMP_E_REFUSED when
 * the old row is not there; RKMP_E_USAGE when new_row is of another protocol
 * or not for peer.  The old row's index in *old_index (may be NULL).
 */
int	rkmp_keytable_rekey(struct rkmp_keytable *kt, uint8_t proto, const char *peer,
	    uint64_t old_spi, const struct rkmp_keytable_row *new_row, uint32_t grace,
	    size_t *old_index);

/* What select and lookup match on (RFC 7210 §3). */
struct rkmp_keytable_query {
	uint8_t		 protocol;
	const char	*peer;
	const char	*interface;	/* NULL: any */
	const char	*key_name;	/* lookup: the LocalKeyName seen in the message */
	int64_t		 now;
	const char * const *prefer;	/* select: AlgIDs, most preferred first; NULL = built-in */
	size_t		 nprefer;
};

/*
 * Select the key for sending: Peers contains peer, Protocol matches,
 * Interfaces contains interface or "all", Direction out or both,
 * SendLifetimeStart <= now <= SendLifetimeEnd.  Of those, the most preferred
 * AlgID, then the latest SendLifetimeStart, then the latest
 * AcceptLifetimeStart, then the row inserted last.  RKMP_E_REFUSED "no key".
 */
int	rkmp_keytable_select(const struct rkmp_keytable *kt, const struct rkmp_keytable_query *q,
	    size_t *index);
/*
 * Look up the key for receiving: as select, but Direction in or both,
 * LocalKeyName = key_name and AcceptLifetimeStart <= now <= AcceptLifetimeEnd;
 * exactly one row may match.  RKMP_E_REFUSED "no key".
 */
int	rkmp_keytable_lookup(const struct rkmp_keytable *kt, const struct rkmp_keytable_query *q,
	    size_t *index);
/* Remove every row whose AcceptLifetimeEnd is before now; the count. */
size_t	rkmp_keytable_expire(struct rkmp_keytable *kt, int64_t now, rkmp_keytable_removed_fn cb,
	    void *arg);
/* RP_revokeSA: remove every row whose x-rkmp rkmp_sa is spi_i:spi_r; the count. */
size_t	rkmp_keytable_revoke(struct rkmp_keytable *kt, uint64_t spi_i, uint64_t spi_r,
	    rkmp_keytable_removed_fn cb, void *arg);

/* The index of the first row whose x-rkmp links it to the RKMP SA
 * spi_i:spi_r and (proto != 0) is of proto and (child_spi_local != NULL) to
 * that child (our SPI, hex); -1 when none. */
long	rkmp_keytable_find_child(const struct rkmp_keytable *kt, uint64_t spi_i, uint64_t spi_r,
	    uint8_t proto, const char *child_spi_local);
/* The RKMP SA was rekeyed (its children moved): point every row whose x-rkmp
 * rkmp_sa is old_i:old_r at new_i:new_r, with x-rkmp role our role in the new
 * SA ("initiator" or "responder"; NULL: unchanged); the count (SIZE_MAX: out
 * of memory). */
size_t	rkmp_keytable_relink(struct rkmp_keytable *kt, uint64_t old_i, uint64_t old_r,
	    uint64_t new_i, uint64_t new_r, const char *role);

/* The row's state at now: "active", "accept-only", "send-only", "pending",
 * "expired" or "disabled". */
const char *rkmp_keytable_row_state(const struct rkmp_keytable_row *row, int64_t now);

/* ------------------------------------------------------------ the draft's interfaces on a file */

int	rkmp_keytable_insert_sa(const char *path, const struct rkmp_keytable_row *row);
/* The matching rows, copied into a new table *out (RKMP_E_REFUSED: none). */
int	rkmp_keytable_get_sa(const char *path, uint8_t proto, const char *peer, uint64_t spi,
	    struct rkmp_keytable **out);
int	rkmp_keytable_delete_sa(const char *path, uint8_t proto, const char *peer, uint64_t spi,
	    size_t *removed);
int	rkmp_keytable_rekey_sa(const char *path, uint8_t proto, const char *peer,
	    uint64_t old_spi, const struct rkmp_keytable_row *new_row, uint32_t grace);
/* The table side of RP_revokeSA. */
int	rkmp_keytable_revoke_sa(const char *path, uint64_t spi_i, uint64_t spi_r,
	    size_t *removed);

/* ------------------------------------------------------------ rows from child SAs */

struct rkmp_keytable_child_cfg {
	const char	*peer;		/* the peer's address: Peers, TCP-AO conn_id */
	const char	*local;		/* our address; optional (ESP rows: exports) */
	const char	*interface;	/* NULL: "all" */
	int64_t		 now;		/* T, the install time */
	uint32_t	 send_delay;	/* δ: SendLifetimeStart = T + δ */
	uint32_t	 grace;		/* G: AcceptLifetimeEnd = SendLifetimeEnd + G */
	uint32_t	 lifetime;	/* hard lifetime: SendLifetimeEnd = T + lifetime */
	unsigned	 serial;	/* last part of AdminKeyName */
	const char	*state;		/* x-rkmp state; NULL: "active" */
	/* rekey: the child the new one replaces; its row's windows end as
	 * rkmp_keytable_rekey() ends them (RFC 7210 §6).  NULL: a plain insert */
	const struct rkmp_sa_child *replaces;
};

#define RKMP_KEYTABLE_CHILD_NAME_MAX	(2 * 8 + 1)	/* 2 * RKMP_SA_SPI_MAX + 1 */

/* The LocalKeyName (local) or PeerKeyName (!local) of a child's row, into
 * out: LocalKeyName is the peer's SPI for TCP-AO, BFD and RSVP-TE (each SPI
 * names its sender), our inbound SPI for ESP; PeerKeyName the other one. */
const char *rkmp_keytable_child_name(const struct rkmp_sa_child *ch, bool local,
	    char out[RKMP_KEYTABLE_CHILD_NAME_MAX]);

/* δ 5 s, G 120 s, lifetime 9 h, serial 1, the rest NULL/0. */
void	rkmp_keytable_child_defaults(struct rkmp_keytable_child_cfg *cfg);
/*
 * Build the row of an established child SA of sa and insert it into kt:
 * Key = the KEYMAT master key (ESP: our outbound encryption and integrity
 * keys, then the inbound ones); TCP-AO, BFD and RSVP-TE key names crossed
 * (LocalKeyName = our RecvID = the peer's SPI, PeerKeyName = our SPI), ESP
 * as IPsec (LocalKeyName = our inbound SPI); KDF and AlgID from the INTEG
 * transform; x-rkmp with proto_id, the child SPIs, rkmp_sa, role and state.
 * With cfg->replaces, rkmp_keytable_rekey() instead of an insert (RKMP_E_REFUSED
 * when the replaced child has no row).  The new row's index in *index (may be
 * NULL).
 */
int	rkmp_keytable_add_child(struct rkmp_keytable *kt, const struct rkmp_sa *sa,
	    const struct rkmp_sa_child *ch, const struct rkmp_keytable_child_cfg *cfg,
	    size_t *index);

/* ------------------------------------------------------------ exports */

/* One export format (kt_export.c's table). */
struct rkmp_keytable_format;

/* The format named name: bird-bgp, frr-bgp, bird-keychain, frr-keychain,
 * rfc8177, wireshark-esp (bird, frr: the key-chain forms' first names); NULL
 * when none. */
const struct rkmp_keytable_format *rkmp_keytable_export_format(const char *name);
/* The names, for messages: "bird-bgp, frr-bgp, ... or wireshark-esp". */
const char *rkmp_keytable_export_names(void);
/*
 * The rows of kt (only proto's when proto != 0, only peer's when peer is not
 * NULL) in fmt, appended to out.  Rows the format cannot carry are left out
 * with a comment in the output and counted in *skipped.  Key chains carry
 * every row with its windows (FRR and BIRD read their times in the local time
 * zone: they are written in the TZ of this process); bird-bgp and frr-bgp
 * carry, per peer, the tcp-md5 key RFC 7210 §3 selects at now (RKMP_E_REFUSED
 * when no peer has one; bird-bgp: RKMP_E_USAGE for more than one peer).
 */
int	rkmp_keytable_export(const struct rkmp_keytable *kt, const struct rkmp_keytable_format *fmt,
	    uint8_t proto, const char *peer, int64_t now, struct rkmp_buf *out, size_t *skipped);

#endif

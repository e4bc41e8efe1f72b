/* SPDX-License-Identifier: MIT */
/*
 * print.c — text (one line, or a tree with -v) and JSON of a decoded message.
 * The JSON keys are the contract of DESIGN.md §6: every registry value as a
 * number under its key and its name under the key with "_name" added.
 */
#include <arpa/inet.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "identity.h"
#include "json.h"
#include "names.h"
#include "print.h"

static const char hexdig[] = "0123456789abcdef";

void
rkmp_fput_hex(FILE *f, const uint8_t *p, size_t n)
{
	char buf[512];
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		buf[k++] = hexdig[p[i] >> 4];
		buf[k++] = hexdig[p[i] & 15];
		if (k == sizeof(buf)) {
			fwrite(buf, 1, k, f);
			k = 0;
		}
	}
	fwrite(buf, 1, k, f);
}

/* ------------------------------------------------------------------ shared bits */

static const char *
exchange_name(const struct rkmp_print_meta *meta, uint8_t x)
{
	const char *n = meta->rkmp ? rkmp_name(RKMP_REG_EXCHANGE_RKMP, x) : NULL;

	return n ? n : rkmp_name_or(RKMP_REG_EXCHANGE, x);
}

static void
print_when(FILE *f, const struct rkmp_print_meta *meta)
{
	if (meta->has_udp) {
		time_t t = (time_t)meta->ts_sec;
		struct tm tm;
		char ts[32];

		localtime_r(&t, &tm);
		strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
		fprintf(f, "%s.%06d %s.%u > %s.%u: ", ts, (int)meta->ts_usec, meta->src, meta->sport,
		    meta->dst, meta->dport);
	} else
		fprintf(f, "%s: ", meta->file ? meta->file : "-");
}

static void
print_error(FILE *f, int err)
{
	if (err == RKMP_E_TRUNCATED)
		fprintf(f, " [|truncated: %s]", rkmp_err_text());
	else if (err != 0)
		fprintf(f, " [invalid: %s]", rkmp_err_text());
}

/* ------------------------------------------------------------------ one line */

static void
line_payloads(FILE *f, const struct rkmp_pld *pld, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct rkmp_pld *p = &pld[i];

		if (i > 0)
			fputc(' ', f);
		fputs(rkmp_name_or(RKMP_REG_PAYLOAD, p->type), f);
		if (!p->known)
			continue;
		switch (p->type) {
		case RKMP_PLD_NOTIFY:
			fprintf(f, "(%s)", rkmp_name_or(RKMP_REG_NOTIFY, p->u.notify.type));
			break;
		case RKMP_PLD_DELETE:
			fprintf(f, "(%s)", rkmp_name_or(RKMP_REG_PROTOCOL, p->u.del.protocol));
			break;
		case RKMP_PLD_SKF:
			fprintf(f, "(%u/%u)", p->u.sk.frag_num, p->u.sk.frag_total);
			__attribute__((fallthrough));
		case RKMP_PLD_SK:
			if (p->u.sk.decrypted) {
				fputc('{', f);
				line_payloads(f, p->u.sk.inner, p->u.sk.ninner);
				fputc('}', f);
			}
			break;
		default:
			break;
		}
	}
}

void
rkmp_print_line(FILE *f, const struct rkmp_print_meta *meta, const struct rkmp_msg *m, int err)
{
	print_when(f, meta);
	if (m->raw_len < RKMP_HDR_LEN) {
		fprintf(f, "IKE");
		print_error(f, err);
		fputc('\n', f);
		return;
	}
	fprintf(f, "%s %s %s mid %u %016llx:%016llx len %u [", exchange_name(meta, m->exchange),
	    rkmp_msg_is_initiator(m) ? "initiator" : "responder",
	    rkmp_msg_is_response(m) ? "response" : "request", m->msg_id,
	    (unsigned long long)m->spi_i, (unsigned long long)m->spi_r, m->length);
	line_payloads(f, m->pld, m->npld);
	fputc(']', f);
	/* the SK/SKF payload is last; keys were given and did not verify it */
	if (m->npld > 0 && (m->pld[m->npld - 1].type == RKMP_PLD_SK ||
	    m->pld[m->npld - 1].type == RKMP_PLD_SKF) && m->pld[m->npld - 1].u.sk.icv_ok == 0)
		fputs(" [ICV mismatch]", f);
	print_error(f, err);
	fputc('\n', f);
}

/* ------------------------------------------------------------------ tree (-v) */

static void
indent(FILE *f, int depth)
{
	for (int i = 0; i < depth; i++)
		fputs("  ", f);
}

static void
tree_hex_line(FILE *f, const char *label, const uint8_t *p, size_t n)
{
	fprintf(f, " %s", label);
	if (n == 0)
		fputs(" (empty)", f);
	else {
		fputc(' ', f);
		rkmp_fput_hex(f, p, n);
	}
}

static void tree_payloads(FILE *, const struct rkmp_print_meta *, const struct rkmp_pld *, size_t, int);

static void
tree_notify_data(FILE *f, const struct rkmp_pld *p)
{
	const uint8_t *d = p->u.notify.data;
	size_t n = p->u.notify.len;

	switch (p->u.notify.type) {
	case RKMP_N_INVALID_KE_PAYLOAD:
		fprintf(f, " group %s(%u)", rkmp_name_or(RKMP_REG_DH, rkmp_get16(d)), rkmp_get16(d));
		return;
	case RKMP_N_UNSUPPORTED_CRITICAL_PAYLOAD:
		fprintf(f, " payload %s(%u)", rkmp_name_or(RKMP_REG_PAYLOAD, d[0]), d[0]);
		return;
	case RKMP_N_SIGNATURE_HASH_ALGORITHMS:
		fputs(" hashes", f);
		for (size_t i = 0; i + 1 < n; i += 2)
			fprintf(f, " %s(%u)", rkmp_name_or(RKMP_REG_HASH, rkmp_get16(d + i)),
			    rkmp_get16(d + i));
		return;
	default:
		if (n > 0)
			tree_hex_line(f, "data", d, n);
	}
}

static void
tree_payload(FILE *f, const struct rkmp_print_meta *meta, const struct rkmp_pld *p, int depth)
{
	char idbuf[512];

	indent(f, depth);
	fprintf(f, "%s(%u)%s length %u:", rkmp_name_or(RKMP_REG_PAYLOAD, p->type), p->type,
	    (p->flags & RKMP_CRITICAL) ? " critical" : "", p->length);
	if (!p->known) {
		tree_hex_line(f, "unknown payload, data", p->u.opaque.data, p->u.opaque.len);
		fputc('\n', f);
		return;
	}
	switch (p->type) {
	case RKMP_PLD_SA:
		fprintf(f, " %zu proposal%s\n", p->u.sa.nprop, p->u.sa.nprop == 1 ? "" : "s");
		for (size_t i = 0; i < p->u.sa.nprop; i++) {
			const struct rkmp_proposal *pr = &p->u.sa.prop[i];

			indent(f, depth + 1);
			fprintf(f, "proposal %u protocol %s(%u) spi_size %u transforms %zu", pr->num,
			    rkmp_name_or(RKMP_REG_PROTOCOL, pr->protocol), pr->protocol, pr->spi_size,
			    pr->ntrans);
			if (pr->spi_size)
				tree_hex_line(f, "spi", pr->spi, pr->spi_size);
			fputc('\n', f);
			for (size_t t = 0; t < pr->ntrans; t++) {
				const struct rkmp_transform *tr = &pr->trans[t];

				indent(f, depth + 2);
				fprintf(f, "transform %s(%u) %s(%u)",
				    rkmp_name_or(RKMP_REG_TRANSFORM, tr->type), tr->type,
				    rkmp_name_or(rkmp_transform_reg(tr->type), tr->id), tr->id);
				if (tr->key_length >= 0)
					fprintf(f, " key_length %d", tr->key_length);
				for (size_t k = 0; k < tr->nattr; k++)
					if (tr->attr[k].type != RKMP_ATTR_KEY_LENGTH) {
						fprintf(f, " attribute %u", tr->attr[k].type);
						if (tr->attr[k].tv)
							fprintf(f, "=%u", tr->attr[k].value);
						else
							tree_hex_line(f, "=", tr->attr[k].data, tr->attr[k].len);
					}
				fputc('\n', f);
			}
		}
		return;
	case RKMP_PLD_KE:
		fprintf(f, " group %s(%u) %zu octets", rkmp_name_or(RKMP_REG_DH, p->u.ke.group),
		    p->u.ke.group, p->u.ke.len);
		tree_hex_line(f, "data", p->u.ke.data, p->u.ke.len);
		break;
	case RKMP_PLD_IDI:
	case RKMP_PLD_IDR:
		rkmp_id_string(p->u.id.id_type, p->u.id.data, p->u.id.len, idbuf, sizeof(idbuf));
		fprintf(f, " %s(%u) %s", rkmp_name_or(RKMP_REG_ID, p->u.id.id_type), p->u.id.id_type,
		    idbuf);
		break;
	case RKMP_PLD_CERT:
	case RKMP_PLD_CERTREQ:
		fprintf(f, " encoding %s(%u) %zu octets",
		    rkmp_name_or(RKMP_REG_CERT, p->u.cert.encoding), p->u.cert.encoding,
		    p->u.cert.len);
		tree_hex_line(f, "data", p->u.cert.data, p->u.cert.len);
		break;
	case RKMP_PLD_AUTH:
		fprintf(f, " method %s(%u) %zu octets", rkmp_name_or(RKMP_REG_AUTH, p->u.auth.method),
		    p->u.auth.method, p->u.auth.len);
		tree_hex_line(f, "data", p->u.auth.data, p->u.auth.len);
		break;
	case RKMP_PLD_NOTIFY:
		fprintf(f, " %s(%u) protocol %s(%u)", rkmp_name_or(RKMP_REG_NOTIFY, p->u.notify.type),
		    p->u.notify.type, rkmp_name_or(RKMP_REG_PROTOCOL, p->u.notify.protocol),
		    p->u.notify.protocol);
		if (p->u.notify.spi_size)
			tree_hex_line(f, "spi", p->u.notify.spi, p->u.notify.spi_size);
		tree_notify_data(f, p);
		break;
	case RKMP_PLD_DELETE:
		fprintf(f, " protocol %s(%u) spi_size %u spis %u",
		    rkmp_name_or(RKMP_REG_PROTOCOL, p->u.del.protocol), p->u.del.protocol,
		    p->u.del.spi_size, p->u.del.nspi);
		for (unsigned i = 0; i < p->u.del.nspi && p->u.del.spi_size; i++) {
			fputc(' ', f);
			rkmp_fput_hex(f, p->u.del.spis + (size_t)i * p->u.del.spi_size, p->u.del.spi_size);
		}
		break;
	case RKMP_PLD_TSI:
	case RKMP_PLD_TSR:
		fprintf(f, " %u selector%s\n", p->u.ts.count, p->u.ts.count == 1 ? "" : "s");
		for (unsigned i = 0; i < p->u.ts.count; i++) {
			const struct rkmp_ts *t = &p->u.ts.ts[i];
			char a1[64], a2[64];

			indent(f, depth + 1);
			fprintf(f, "%s(%u) ip_protocol %u ports %u-%u",
			    rkmp_name_or(RKMP_REG_TS, t->type), t->type, t->ip_proto,
			    t->start_port, t->end_port);
			if (t->addr_len) {
				int af = t->addr_len == 4 ? AF_INET : AF_INET6;

				inet_ntop(af, t->start_addr, a1, sizeof(a1));
				inet_ntop(af, t->end_addr, a2, sizeof(a2));
				fprintf(f, " %s-%s", a1, a2);
			}
			fputc('\n', f);
		}
		return;
	case RKMP_PLD_SK:
	case RKMP_PLD_SKF:
		if (p->type == RKMP_PLD_SKF)
			fprintf(f, " fragment %u of %u", p->u.sk.frag_num, p->u.sk.frag_total);
		fprintf(f, " next %s(%u) %zu octets encrypted",
		    rkmp_name_or(RKMP_REG_PAYLOAD, p->u.sk.first_inner), p->u.sk.first_inner,
		    p->u.sk.enc_len);
		if (meta->sk_iv || meta->sk_icv) {
			struct rkmp_sk_parts parts;

			if (rkmp_sk_split(p, meta->sk_iv, meta->sk_icv, meta->sk_block, &parts) == 0) {
				tree_hex_line(f, "iv", parts.iv, parts.iv_len);
				fprintf(f, " ciphertext %zu octets", parts.ct_len);
				tree_hex_line(f, "icv", parts.icv, parts.icv_len);
			} else
				fprintf(f, " [invalid: %s]", rkmp_err_text());
		}
		if (p->u.sk.icv_ok == 0)
			fputs(" [ICV mismatch]", f);
		fputc('\n', f);
		if (p->u.sk.decrypted)
			tree_payloads(f, meta, p->u.sk.inner, p->u.sk.ninner, depth + 1);
		return;
	default:	/* Nonce, V, CP, EAP, GSPM */
		fprintf(f, " %zu octets", p->u.opaque.len);
		tree_hex_line(f, "data", p->u.opaque.data, p->u.opaque.len);
		break;
	}
	fputc('\n', f);
}

static void
tree_payloads(FILE *f, const struct rkmp_print_meta *meta, const struct rkmp_pld *pld, size_t n,
    int depth)
{
	for (size_t i = 0; i < n; i++)
		tree_payload(f, meta, &pld[i], depth);
}

void
rkmp_print_tree(FILE *f, const struct rkmp_print_meta *meta, const struct rkmp_msg *m, int err)
{
	rkmp_print_line(f, meta, m, err);
	if (m->raw_len < RKMP_HDR_LEN)
		return;
	fprintf(f, "  header: spi_i %016llx spi_r %016llx next %s(%u) version %u.%u exchange %s(%u)"
	    " flags 0x%02x [%s%s%s] msg_id %u length %u%s\n",
	    (unsigned long long)m->spi_i, (unsigned long long)m->spi_r,
	    rkmp_name_or(RKMP_REG_PAYLOAD, m->next), m->next, m->version >> 4, m->version & 15,
	    exchange_name(meta, m->exchange), m->exchange, m->flags,
	    (m->flags & RKMP_FLAG_I) ? "I" : "", (m->flags & RKMP_FLAG_R) ? "R" : "",
	    (m->flags & RKMP_FLAG_V) ? "V" : "", m->msg_id, m->length,
	    meta->marker ? " (after non-ESP marker)" : "");
	tree_payloads(f, meta, m->pld, m->npld, 1);
	if (m->unsupported_critical)
		fprintf(f, "  unsupported critical payload %u: a receiver rejects this message\n",
		    m->unsupported_critical);
}

/* ------------------------------------------------------------------ JSON */

/*
 * The JSON of a message is written with json_write.c straight into the
 * caller's buffer, member for member in the order (and with the bytes) of
 * the jansson tree it replaced: a value and its name under KEY_name.
 */
#define KEY(w, lit)	RKMP_JW_KEY(w, lit)

static void
put_named(struct rkmp_jw *w, const char *key, size_t klen, unsigned v, enum rkmp_reg reg)
{
	char k[64];

	rkmp_jw_keyn(w, key, klen);
	rkmp_jw_uint(w, v);
	memcpy(k, key, klen);
	memcpy(k + klen, "_name", 5);
	rkmp_jw_keyn(w, k, klen + 5);
	rkmp_jw_str(w, rkmp_name_or(reg, v));
}
#define NAMED(w, lit, v, reg)	put_named((w), "" lit, sizeof(lit) - 1, (v), (reg))

/* A string from outside the tables (a file name, an identity, an error's
 * text): left out when it is not UTF-8, as jansson's json_string (NULL)
 * left it out of the tree. */
static void
put_text(struct rkmp_jw *w, const char *key, size_t klen, const char *s)
{
	if (!rkmp_json_utf8_valid(s, strlen(s)))
		return;
	rkmp_jw_keyn(w, key, klen);
	rkmp_jw_str(w, s);
}
#define TEXT(w, lit, s)	put_text((w), "" lit, sizeof(lit) - 1, (s))

static void json_payloads(struct rkmp_jw *, const struct rkmp_print_meta *,
    const struct rkmp_pld *, size_t);

static void
json_sa(struct rkmp_jw *w, const struct rkmp_pld *p)
{
	KEY(w, "proposals");
	rkmp_jw_array(w);
	for (size_t i = 0; i < p->u.sa.nprop; i++) {
		const struct rkmp_proposal *pr = &p->u.sa.prop[i];

		rkmp_jw_object(w);
		KEY(w, "num");
		rkmp_jw_uint(w, pr->num);
		NAMED(w, "protocol_id", pr->protocol, RKMP_REG_PROTOCOL);
		KEY(w, "spi");
		rkmp_jw_hex(w, pr->spi, pr->spi_size);
		KEY(w, "transforms");
		rkmp_jw_array(w);
		for (size_t t = 0; t < pr->ntrans; t++) {
			const struct rkmp_transform *tr = &pr->trans[t];

			rkmp_jw_object(w);
			NAMED(w, "type", tr->type, RKMP_REG_TRANSFORM);
			NAMED(w, "id", tr->id, rkmp_transform_reg(tr->type));
			KEY(w, "key_length");
			if (tr->key_length >= 0)
				rkmp_jw_int(w, tr->key_length);
			else
				rkmp_jw_null(w);
			rkmp_jw_object_end(w);
		}
		rkmp_jw_array_end(w);
		rkmp_jw_object_end(w);
	}
	rkmp_jw_array_end(w);
}

static void
json_ts(struct rkmp_jw *w, const struct rkmp_pld *p)
{
	KEY(w, "selectors");
	rkmp_jw_array(w);
	for (unsigned i = 0; i < p->u.ts.count; i++) {
		const struct rkmp_ts *t = &p->u.ts.ts[i];
		char a[64];

		rkmp_jw_object(w);
		NAMED(w, "ts_type", t->type, RKMP_REG_TS);
		KEY(w, "ip_protocol");
		rkmp_jw_uint(w, t->ip_proto);
		KEY(w, "start_port");
		rkmp_jw_uint(w, t->start_port);
		KEY(w, "end_port");
		rkmp_jw_uint(w, t->end_port);
		if (t->addr_len) {
			int af = t->addr_len == 4 ? AF_INET : AF_INET6;

			inet_ntop(af, t->start_addr, a, sizeof(a));
			KEY(w, "start_addr");
			rkmp_jw_str(w, a);
			inet_ntop(af, t->end_addr, a, sizeof(a));
			KEY(w, "end_addr");
			rkmp_jw_str(w, a);
		}
		rkmp_jw_object_end(w);
	}
	rkmp_jw_array_end(w);
}

static void
json_sk(struct rkmp_jw *w, const struct rkmp_print_meta *meta, const struct rkmp_pld *p)
{
	if (p->type == RKMP_PLD_SKF) {
		KEY(w, "fragment");
		rkmp_jw_uint(w, p->u.sk.frag_num);
		KEY(w, "total");
		rkmp_jw_uint(w, p->u.sk.frag_total);
	}
	NAMED(w, "next_payload", p->u.sk.first_inner, RKMP_REG_PAYLOAD);
	KEY(w, "encrypted_length");
	rkmp_jw_uint(w, p->u.sk.enc_len);
	if (meta->sk_iv || meta->sk_icv) {
		struct rkmp_sk_parts parts;

		if (rkmp_sk_split(p, meta->sk_iv, meta->sk_icv, meta->sk_block, &parts) == 0) {
			KEY(w, "iv");
			rkmp_jw_hex(w, parts.iv, parts.iv_len);
			KEY(w, "ciphertext_length");
			rkmp_jw_uint(w, parts.ct_len);
			KEY(w, "icv");
			rkmp_jw_hex(w, parts.icv, parts.icv_len);
		}
	}
	KEY(w, "decrypted");
	rkmp_jw_bool(w, p->u.sk.decrypted);
	if (p->u.sk.icv_ok >= 0) {
		KEY(w, "icv_ok");
		rkmp_jw_bool(w, p->u.sk.icv_ok);
	}
	if (p->u.sk.decrypted) {
		KEY(w, "payloads");
		json_payloads(w, meta, p->u.sk.inner, p->u.sk.ninner);
	}
}

static void
json_payload(struct rkmp_jw *w, const struct rkmp_print_meta *meta, const struct rkmp_pld *p)
{
	char idbuf[512];

	rkmp_jw_object(w);
	NAMED(w, "type", p->type, RKMP_REG_PAYLOAD);
	KEY(w, "critical");
	rkmp_jw_bool(w, p->flags & RKMP_CRITICAL);
	KEY(w, "length");
	rkmp_jw_uint(w, p->length);
	if (!p->known) {
		KEY(w, "data");
		rkmp_jw_hex(w, p->u.opaque.data, p->u.opaque.len);
		rkmp_jw_object_end(w);
		return;
	}
	switch (p->type) {
	case RKMP_PLD_SA:
		json_sa(w, p);
		break;
	case RKMP_PLD_KE:
		NAMED(w, "group", p->u.ke.group, RKMP_REG_DH);
		KEY(w, "data");
		rkmp_jw_hex(w, p->u.ke.data, p->u.ke.len);
		break;
	case RKMP_PLD_IDI:
	case RKMP_PLD_IDR:
		NAMED(w, "id_type", p->u.id.id_type, RKMP_REG_ID);
		rkmp_id_string(p->u.id.id_type, p->u.id.data, p->u.id.len, idbuf, sizeof(idbuf));
		TEXT(w, "id", idbuf);
		KEY(w, "data");
		rkmp_jw_hex(w, p->u.id.data, p->u.id.len);
		break;
	case RKMP_PLD_CERT:
	case RKMP_PLD_CERTREQ:
		NAMED(w, "encoding", p->u.cert.encoding, RKMP_REG_CERT);
		KEY(w, "data");
		rkmp_jw_hex(w, p->u.cert.data, p->u.cert.len);
		break;
	case RKMP_PLD_AUTH:
		NAMED(w, "method", p->u.auth.method, RKMP_REG_AUTH);
		KEY(w, "data");
		rkmp_jw_hex(w, p->u.auth.data, p->u.auth.len);
		break;
	case RKMP_PLD_NOTIFY:
		NAMED(w, "notify_type", p->u.notify.type, RKMP_REG_NOTIFY);
		NAMED(w, "protocol_id", p->u.notify.protocol, RKMP_REG_PROTOCOL);
		KEY(w, "spi");
		rkmp_jw_hex(w, p->u.notify.spi, p->u.notify.spi_size);
		KEY(w, "data");
		rkmp_jw_hex(w, p->u.notify.data, p->u.notify.len);
		break;
	case RKMP_PLD_DELETE:
		NAMED(w, "protocol_id", p->u.del.protocol, RKMP_REG_PROTOCOL);
		KEY(w, "spi_size");
		rkmp_jw_uint(w, p->u.del.spi_size);
		KEY(w, "spis");
		rkmp_jw_array(w);
		for (unsigned i = 0; i < p->u.del.nspi && p->u.del.spi_size; i++)
			rkmp_jw_hex(w, p->u.del.spis + (size_t)i * p->u.del.spi_size, p->u.del.spi_size);
		rkmp_jw_array_end(w);
		break;
	case RKMP_PLD_TSI:
	case RKMP_PLD_TSR:
		json_ts(w, p);
		break;
	case RKMP_PLD_SK:
	case RKMP_PLD_SKF:
		json_sk(w, meta, p);
		break;
	default:
		KEY(w, "data");
		rkmp_jw_hex(w, p->u.opaque.data, p->u.opaque.len);
		break;
	}
	rkmp_jw_object_end(w);
}

static void
json_payloads(struct rkmp_jw *w, const struct rkmp_print_meta *meta, const struct rkmp_pld *pld,
    size_t n)
{
	rkmp_jw_array(w);
	for (size_t i = 0; i < n; i++)
		json_payload(w, meta, &pld[i]);
	rkmp_jw_array_end(w);
}

/* The SPI as 16 hex digits: its 8 octets in network order. */
static void
json_spi(struct rkmp_jw *w, uint64_t spi)
{
	uint8_t o[8];

	for (int i = 7; i >= 0; i--, spi >>= 8)
		o[i] = (uint8_t)spi;
	rkmp_jw_hex(w, o, sizeof(o));
}

int
rkmp_print_json(struct rkmp_buf *out, const struct rkmp_print_meta *meta, const struct rkmp_msg *m,
    int err)
{
	struct rkmp_jw w;

	rkmp_jw_init(&w, out, false);
	rkmp_jw_object(&w);
	TEXT(&w, "file", meta->file ? meta->file : "-");
	KEY(&w, "frame");
	rkmp_jw_uint(&w, meta->frame);
	if (meta->has_udp) {
		KEY(&w, "time");
		rkmp_jw_time(&w, meta->ts_sec, meta->ts_usec);
		KEY(&w, "src");
		rkmp_jw_str(&w, meta->src);
		KEY(&w, "sport");
		rkmp_jw_uint(&w, meta->sport);
		KEY(&w, "dst");
		rkmp_jw_str(&w, meta->dst);
		KEY(&w, "dport");
		rkmp_jw_uint(&w, meta->dport);
	}
	if (meta->rkmp) {
		KEY(&w, "rkmp");
		rkmp_jw_bool(&w, true);
	}
	if (m->raw_len >= RKMP_HDR_LEN) {
		KEY(&w, "spi_i");
		json_spi(&w, m->spi_i);
		KEY(&w, "spi_r");
		json_spi(&w, m->spi_r);
		NAMED(&w, "exchange_type", m->exchange, RKMP_REG_EXCHANGE);
		KEY(&w, "flags");
		rkmp_jw_object(&w);
		KEY(&w, "initiator");
		rkmp_jw_bool(&w, rkmp_msg_is_initiator(m));
		KEY(&w, "response");
		rkmp_jw_bool(&w, rkmp_msg_is_response(m));
		rkmp_jw_object_end(&w);
		KEY(&w, "version");
		rkmp_jw_uint(&w, m->version);
		KEY(&w, "msg_id");
		rkmp_jw_uint(&w, m->msg_id);
		KEY(&w, "length");
		rkmp_jw_uint(&w, m->length);
		KEY(&w, "payloads");
		json_payloads(&w, meta, m->pld, m->npld);
		if (m->unsupported_critical) {
			KEY(&w, "unsupported_critical");
			rkmp_jw_uint(&w, m->unsupported_critical);
		}
	}
	if (err != 0) {
		KEY(&w, "error");
		rkmp_jw_object(&w);
		KEY(&w, "kind");
		rkmp_jw_str(&w, rkmp_err_kind(err));
		TEXT(&w, "where", rkmp_err_where());
		TEXT(&w, "detail", rkmp_err_detail());
		rkmp_jw_object_end(&w);
	}
	rkmp_jw_object_end(&w);
	rkmp_buf_put(out, "\n", 1);
	return rkmp_jw_finish(&w);
}

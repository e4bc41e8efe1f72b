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

json_t *
rkmp_json_hex(const uint8_t *p, size_t n)
{
	char small[257], *s = small;
	json_t *j;

	if (n == 0)
		return json_string("");
	if (2 * n + 1 > sizeof(small) && (s = malloc(2 * n + 1)) == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		s[2 * i] = hexdig[p[i] >> 4];
		s[2 * i + 1] = hexdig[p[i] & 15];
	}
	j = json_stringn(s, 2 * n);
	if (s != small)
		free(s);
	return j;
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

static void
jset_name(json_t *o, const char *key, unsigned v, enum rkmp_reg reg)
{
	char k[64];

	json_object_set_new(o, key, json_integer(v));
	snprintf(k, sizeof(k), "%s_name", key);
	json_object_set_new(o, k, json_string(rkmp_name_or(reg, v)));
}

static json_t *json_payloads(const struct rkmp_print_meta *, const struct rkmp_pld *, size_t);

static json_t *
json_payload(const struct rkmp_print_meta *meta, const struct rkmp_pld *p)
{
	json_t *o = json_object();
	char idbuf[512];

	jset_name(o, "type", p->type, RKMP_REG_PAYLOAD);
	json_object_set_new(o, "critical", json_boolean(p->flags & RKMP_CRITICAL));
	json_object_set_new(o, "length", json_integer(p->length));
	if (!p->known) {
		json_object_set_new(o, "data", rkmp_json_hex(p->u.opaque.data, p->u.opaque.len));
		return o;
	}
	switch (p->type) {
	case RKMP_PLD_SA: {
		json_t *props = json_array();

		for (size_t i = 0; i < p->u.sa.nprop; i++) {
			const struct rkmp_proposal *pr = &p->u.sa.prop[i];
			json_t *po = json_object(), *ts = json_array();

			json_object_set_new(po, "num", json_integer(pr->num));
			jset_name(po, "protocol_id", pr->protocol, RKMP_REG_PROTOCOL);
			json_object_set_new(po, "spi", rkmp_json_hex(pr->spi, pr->spi_size));
			for (size_t t = 0; t < pr->ntrans; t++) {
				const struct rkmp_transform *tr = &pr->trans[t];
				json_t *to = json_object();

				jset_name(to, "type", tr->type, RKMP_REG_TRANSFORM);
				jset_name(to, "id", tr->id, rkmp_transform_reg(tr->type));
				json_object_set_new(to, "key_length",
				    tr->key_length >= 0 ? json_integer(tr->key_length) : json_null());
				json_array_append_new(ts, to);
			}
			json_object_set_new(po, "transforms", ts);
			json_array_append_new(props, po);
		}
		json_object_set_new(o, "proposals", props);
		break;
	}
	case RKMP_PLD_KE:
		jset_name(o, "group", p->u.ke.group, RKMP_REG_DH);
		json_object_set_new(o, "data", rkmp_json_hex(p->u.ke.data, p->u.ke.len));
		break;
	case RKMP_PLD_IDI:
	case RKMP_PLD_IDR:
		jset_name(o, "id_type", p->u.id.id_type, RKMP_REG_ID);
		rkmp_id_string(p->u.id.id_type, p->u.id.data, p->u.id.len, idbuf, sizeof(idbuf));
		json_object_set_new(o, "id", json_string(idbuf));
		json_object_set_new(o, "data", rkmp_json_hex(p->u.id.data, p->u.id.len));
		break;
	case RKMP_PLD_CERT:
	case RKMP_PLD_CERTREQ:
		jset_name(o, "encoding", p->u.cert.encoding, RKMP_REG_CERT);
		json_object_set_new(o, "data", rkmp_json_hex(p->u.cert.data, p->u.cert.len));
		break;
	case RKMP_PLD_AUTH:
		jset_name(o, "method", p->u.auth.method, RKMP_REG_AUTH);
		json_object_set_new(o, "data", rkmp_json_hex(p->u.auth.data, p->u.auth.len));
		break;
	case RKMP_PLD_NOTIFY:
		jset_name(o, "notify_type", p->u.notify.type, RKMP_REG_NOTIFY);
		jset_name(o, "protocol_id", p->u.notify.protocol, RKMP_REG_PROTOCOL);
		json_object_set_new(o, "spi", rkmp_json_hex(p->u.notify.spi, p->u.notify.spi_size));
		json_object_set_new(o, "data", rkmp_json_hex(p->u.notify.data, p->u.notify.len));
		break;
	case RKMP_PLD_DELETE: {
		json_t *spis = json_array();

		jset_name(o, "protocol_id", p->u.del.protocol, RKMP_REG_PROTOCOL);
		json_object_set_new(o, "spi_size", json_integer(p->u.del.spi_size));
		for (unsigned i = 0; i < p->u.del.nspi && p->u.del.spi_size; i++)
			json_array_append_new(spis, rkmp_json_hex(p->u.del.spis +
			    (size_t)i * p->u.del.spi_size, p->u.del.spi_size));
		json_object_set_new(o, "spis", spis);
		break;
	}
	case RKMP_PLD_TSI:
	case RKMP_PLD_TSR: {
		json_t *sel = json_array();

		for (unsigned i = 0; i < p->u.ts.count; i++) {
			const struct rkmp_ts *t = &p->u.ts.ts[i];
			json_t *so = json_object();
			char a[64];

			jset_name(so, "ts_type", t->type, RKMP_REG_TS);
			json_object_set_new(so, "ip_protocol", json_integer(t->ip_proto));
			json_object_set_new(so, "start_port", json_integer(t->start_port));
			json_object_set_new(so, "end_port", json_integer(t->end_port));
			if (t->addr_len) {
				int af = t->addr_len == 4 ? AF_INET : AF_INET6;

				inet_ntop(af, t->start_addr, a, sizeof(a));
				json_object_set_new(so, "start_addr", json_string(a));
				inet_ntop(af, t->end_addr, a, sizeof(a));
				json_object_set_new(so, "end_addr", json_string(a));
			}
			json_array_append_new(sel, so);
		}
		json_object_set_new(o, "selectors", sel);
		break;
	}
	case RKMP_PLD_SK:
	case RKMP_PLD_SKF:
		if (p->type == RKMP_PLD_SKF) {
			json_object_set_new(o, "fragment", json_integer(p->u.sk.frag_num));
			json_object_set_new(o, "total", json_integer(p->u.sk.frag_total));
		}
		jset_name(o, "next_payload", p->u.sk.first_inner, RKMP_REG_PAYLOAD);
		json_object_set_new(o, "encrypted_length", json_integer((json_int_t)p->u.sk.enc_len));
		if (meta->sk_iv || meta->sk_icv) {
			struct rkmp_sk_parts parts;

			if (rkmp_sk_split(p, meta->sk_iv, meta->sk_icv, meta->sk_block, &parts) == 0) {
				json_object_set_new(o, "iv", rkmp_json_hex(parts.iv, parts.iv_len));
				json_object_set_new(o, "ciphertext_length",
				    json_integer((json_int_t)parts.ct_len));
				json_object_set_new(o, "icv", rkmp_json_hex(parts.icv, parts.icv_len));
			}
		}
		json_object_set_new(o, "decrypted", json_boolean(p->u.sk.decrypted));
		if (p->u.sk.icv_ok >= 0)
			json_object_set_new(o, "icv_ok", json_boolean(p->u.sk.icv_ok));
		if (p->u.sk.decrypted)
			json_object_set_new(o, "payloads", json_payloads(meta, p->u.sk.inner,
			    p->u.sk.ninner));
		break;
	default:
		json_object_set_new(o, "data", rkmp_json_hex(p->u.opaque.data, p->u.opaque.len));
		break;
	}
	return o;
}

static json_t *
json_payloads(const struct rkmp_print_meta *meta, const struct rkmp_pld *pld, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_payload(meta, &pld[i]));
	return a;
}

json_t *
rkmp_json_msg(const struct rkmp_print_meta *meta, const struct rkmp_msg *m, int err)
{
	json_t *o = json_object();
	char spi[17];

	json_object_set_new(o, "file", json_string(meta->file ? meta->file : "-"));
	json_object_set_new(o, "frame", json_integer((json_int_t)meta->frame));
	if (meta->has_udp) {
		json_object_set_new(o, "time", json_real((double)meta->ts_sec + meta->ts_usec / 1e6));
		json_object_set_new(o, "src", json_string(meta->src));
		json_object_set_new(o, "sport", json_integer(meta->sport));
		json_object_set_new(o, "dst", json_string(meta->dst));
		json_object_set_new(o, "dport", json_integer(meta->dport));
	}
	if (meta->rkmp)
		json_object_set_new(o, "rkmp", json_true());
	if (m->raw_len >= RKMP_HDR_LEN) {
		json_t *fl = json_object();

		snprintf(spi, sizeof(spi), "%016llx", (unsigned long long)m->spi_i);
		json_object_set_new(o, "spi_i", json_string(spi));
		snprintf(spi, sizeof(spi), "%016llx", (unsigned long long)m->spi_r);
		json_object_set_new(o, "spi_r", json_string(spi));
		jset_name(o, "exchange_type", m->exchange, RKMP_REG_EXCHANGE);
		json_object_set_new(fl, "initiator", json_boolean(rkmp_msg_is_initiator(m)));
		json_object_set_new(fl, "response", json_boolean(rkmp_msg_is_response(m)));
		json_object_set_new(o, "flags", fl);
		json_object_set_new(o, "version", json_integer(m->version));
		json_object_set_new(o, "msg_id", json_integer(m->msg_id));
		json_object_set_new(o, "length", json_integer(m->length));
		json_object_set_new(o, "payloads", json_payloads(meta, m->pld, m->npld));
		if (m->unsupported_critical)
			json_object_set_new(o, "unsupported_critical", json_integer(m->unsupported_critical));
	}
	if (err != 0) {
		json_t *e = json_object();

		json_object_set_new(e, "kind", json_string(rkmp_err_kind(err)));
		json_object_set_new(e, "where", json_string(rkmp_err_where()));
		json_object_set_new(e, "detail", json_string(rkmp_err_detail()));
		json_object_set_new(o, "error", e);
	}
	return o;
}

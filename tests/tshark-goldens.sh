#!/usr/bin/env bash
# tshark's reference decodes of the decode fixtures, kept as goldens in
# testdata/tshark/, so that the tests compare rkmp-decode with tshark without
# starting tshark (about half a second a call) for every capture:
#   NAME.fields  testdata/decode/NAME.pcap, one line per IKE message:
#                frame|SPIi|SPIr|exchange|message ID|I and R flags (flags & 0x28)|Length|
#                payload types|notify types|proposal numbers|proposal protocol IDs|
#                transform types|ENCR IDs|PRF IDs|INTEG IDs|DH IDs|KE groups|nonces|
#                SKF fragment numbers|SKF totals
#                (what tests/tshark-crosscheck.sh compares; 50-decode.bats)
#   NAME.inner   the same capture decrypted with testdata/keys/NAME.ikev2_decryption_table
#                (for every table that is not empty), one line per IKE message:
#                frame|payload types, outer then inner|notify types   (55-decrypt.bats)
# Payload types leave out proposal (2) and transform (3), which tshark lists
# with the payloads.  Lists within a field are comma-separated.
#
# A golden starts with "# " lines: the tshark version it came from and the
# command; the rest is tshark's output, normalised by the awk below: it never
# comes from rkmp-decode.
#
#   tests/tshark-goldens.sh           write every golden from tshark, one tshark run per file
#   tests/tshark-goldens.sh --check   run tshark now and compare with every golden; exit 1 on
#                                     drift (a golden that tshark no longer prints, a capture or
#                                     key table without its golden, a golden without its
#                                     capture).  Two tshark runs in all, over the captures
#                                     concatenated (mergecap), the tables joined; a capture
#                                     that differs there is run again alone before it counts
#   tests/tshark-goldens.sh --print fields CAPTURE [PORT...]   tshark's lines for one capture
#   tests/tshark-goldens.sh --print inner CAPTURE TABLE          (no "# " header)
# IKE is looked for on UDP 500, 4500 and 50500 (RKMP), and on the --port of the
# capture's lines in testdata/decode/LIST (5500 for m-nondefault-port-5500).
set -euo pipefail
cd "$(dirname "$0")/.."
D=testdata/decode K=testdata/keys G=testdata/tshark

FIELDS=(-e frame.number -e isakmp.ispi -e isakmp.rspi -e isakmp.exchangetype -e isakmp.messageid
	-e isakmp.flags -e isakmp.length -e isakmp.typepayload -e isakmp.notify.msgtype
	-e isakmp.prop.number -e isakmp.prop.protoid -e isakmp.tf.type -e isakmp.tf.id.encr
	-e isakmp.tf.id.prf -e isakmp.tf.id.integ -e isakmp.tf.id.dh -e isakmp.key_exchange.dh_group
	-e isakmp.nonce -e isakmp.frag.number -e isakmp.frag.total)
INNER=(-e frame.number -e isakmp.typepayload -e isakmp.notify.msgtype)

# normalise KIND [OFFSETS-FILE OUTDIR]: tshark's "|"-separated lines on stdin to
# the golden's lines.  With OFFSETS-FILE ("NAME FRAMES" lines, in the order the
# captures were concatenated), frame numbers are made the capture's own again
# and each capture's lines go to OUTDIR/NAME.KIND.
normalise() {
	awk -F'|' -v kind="$1" -v offsets="${2:-}" -v outdir="${3:-}" '
	function hex(s,   i, v) {
		s = tolower(s); sub(/^0x/, "", s); v = 0
		for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		return v
	}
	function nosub(s,   n, a, i, r) {	# payload types without proposal (2) and transform (3)
		n = split(s, a, ","); r = ""
		for (i = 1; i <= n; i++) if (a[i] != "2" && a[i] != "3") r = r (r == "" ? "" : ",") a[i]
		return r
	}
	BEGIN {
		n = 0
		if (offsets != "") while ((getline l < offsets) > 0) { split(l, w, " "); name[++n] = w[1]; end[n] = (n > 1 ? end[n - 1] : 0) + w[2] }
	}
	{
		f = $1; out = "/dev/stdout"
		if (n > 0) {
			for (i = 1; i <= n && f > end[i]; i++) ;
			if (i > n) { print "tshark-goldens: frame " f " beyond the captures" > "/dev/stderr"; exit 1 }
			f -= (i > 1 ? end[i - 1] : 0); out = outdir "/" name[i] "." kind
		}
		if (kind == "inner") { print f "|" nosub($2) "|" $3 > out; next }
		fl = hex($6); ir = (int(fl / 8) % 2) * 8 + (int(fl / 32) % 2) * 32
		nonce = $18; gsub(/:/, "", nonce)
		printf "%s|%s|%s|%s|%.0f|%d|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s\n", f, $2, $3, $4,
		    hex($5), ir, $7, nosub($8), $9, $10, $11, $12, $13, $14, $15, $16, $17, nonce, $19, $20 > out
	}'
}

ports_of() {	# ports_of NAME: the --port values of NAME.pcap's lines in LIST
	awk -v cap="$1.pcap" '$2 == cap { for (i = 3; i < NF; i++) if ($i == "--port") print $(i + 1) }' "$D/LIST" | sort -u
}

decode_as() {	# decode_as PORT...: tshark's -d options for 50500 and each PORT
	local p
	for p in 50500 "$@"; do printf -- '-d\nudp.port==%s,isakmp\n' "$p"; done
}

ts_fields() {	# ts_fields CAPTURE [PORT...]
	local cap=$1
	shift
	local d
	mapfile -t d < <(decode_as "$@")
	tshark -r "$cap" -o ip.defragment:TRUE "${d[@]}" -Y isakmp -T fields -E separator='|' \
	    -E aggregator=',' -E occurrence=a "${FIELDS[@]}" 2>/dev/null
}

# tshark with a throw-away profile holding TABLE as ikev2_decryption_table (its
# own configuration directory, so no user's Wireshark settings count)
ts_inner() {	# ts_inner CAPTURE TABLE
	local prof rc=0
	prof=$(mktemp -d)
	mkdir -p "$prof/wireshark"
	cp "$2" "$prof/wireshark/ikev2_decryption_table"
	XDG_CONFIG_HOME=$prof tshark -n -r "$1" -o ip.defragment:TRUE -d udp.port==5500,isakmp \
	    -d udp.port==50500,isakmp -Y isakmp -T fields -E separator='|' -E aggregator=',' \
	    -E occurrence=a "${INNER[@]}" 2>/dev/null || rc=$?
	rm -rf "$prof"
	return $rc
}

tshark_version=
version() {	# tshark's first line of --version (a start of tshark: asked once)
	[ -n "$tshark_version" ] || tshark_version=$(tshark --version 2>/dev/null | head -n 1)
	echo "$tshark_version"
}

header() {	# header COMMAND...: the golden's first lines
	echo "# $tshark_version"
	echo "# made by tests/tshark-goldens.sh from tshark, not from rkmp-decode: do not edit"
	echo "# $*"
}

body() { sed '/^# /d' "$1"; }

captures() { for c in "$D"/*.pcap; do basename "$c" .pcap; done; }
tables() {	# the names whose key table is not empty
	local t
	for t in "$K"/*.ikev2_decryption_table; do [ -s "$t" ] && basename "$t" .ikev2_decryption_table; done
	return 0
}

need_tshark() {
	command -v tshark >/dev/null || { echo "tshark-goldens: tshark is not installed" >&2; exit 2; }
}

write_all() {
	local name p
	need_tshark
	version >/dev/null
	mkdir -p "$G"
	rm -f "$G"/*.fields "$G"/*.inner
	for name in $(captures); do
		mapfile -t p < <(ports_of "$name")
		{
			header "tshark -r $D/$name.pcap -o ip.defragment:TRUE" \
			    "$(decode_as "${p[@]}" | paste -sd' ') -Y isakmp -T fields ${FIELDS[*]}"
			ts_fields "$D/$name.pcap" "${p[@]}" | normalise fields
		} > "$G/$name.fields"
		[ -n "$(body "$G/$name.fields")" ] || { echo "tshark-goldens: $name: tshark shows no IKE message" >&2; exit 1; }
		echo "tshark-goldens: $G/$name.fields"
	done
	for name in $(tables); do
		{
			header "tshark -n -r $D/$name.pcap -o ip.defragment:TRUE -d udp.port==5500,isakmp" \
			    "-d udp.port==50500,isakmp -Y isakmp -T fields ${INNER[*]}," \
			    "ikev2_decryption_table $K/$name.ikev2_decryption_table"
			ts_inner "$D/$name.pcap" "$K/$name.ikev2_decryption_table" | normalise inner
		} > "$G/$name.inner"
		[ -n "$(body "$G/$name.inner")" ] || { echo "tshark-goldens: $name: tshark shows no IKE message" >&2; exit 1; }
		echo "tshark-goldens: $G/$name.inner"
	done
}

frames() {	# frames CAPTURE...: "NAME FRAMES" lines, in the order given
	capinfos -c -T -r "$@" | awk -F'\t' '{ n = $1; sub(/.*\//, "", n); sub(/\.pcap$/, "", n); print n, $2 }'
}

check_all() {
	local names=() tnames=() caps=() tcaps=() name g bad=0 ports p now n
	need_tshark
	now=$(version)
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	mkdir "$tmp/want" "$tmp/out"
	mapfile -t names < <(captures)
	mapfile -t tnames < <(tables)
	for name in "${names[@]}"; do caps+=("$D/$name.pcap"); done
	for name in "${tnames[@]}"; do tcaps+=("$D/$name.pcap"); done
	# every capture and table has its golden, every golden its capture or table
	for name in "${names[@]}"; do [ -f "$G/$name.fields" ] || { echo "tshark-goldens: $G/$name.fields missing"; bad=1; }; done
	for name in "${tnames[@]}"; do [ -f "$G/$name.inner" ] || { echo "tshark-goldens: $G/$name.inner missing"; bad=1; }; done
	for g in "$G"/*; do
		name=$(basename "${g%.*}")
		case "$g" in
		*.fields) [ -f "$D/$name.pcap" ] || { echo "tshark-goldens: $g: no $D/$name.pcap"; bad=1; } ;;
		*.inner) [ -s "$K/$name.ikev2_decryption_table" ] || { echo "tshark-goldens: $g: no key table $name"; bad=1; } ;;
		*) echo "tshark-goldens: $g: neither .fields nor .inner"; bad=1 ;;
		esac
	done
	# the goldens' lines, without their headers, in $tmp/want; the tshark each came from
	awk -v dir="$tmp/want" -v now="# $now" '
	    FNR == 1 { if (out != "") close(out); n = FILENAME; sub(/.*\//, "", n); out = dir "/" n; printf "" > out
	               if ($0 != now) print "tshark-goldens: " FILENAME ": made with " substr($0, 3) ", checked with " substr(now, 3) }
	    /^# / { next }
	    { print > out }' "$G"/*.fields "$G"/*.inner
	for g in "$tmp"/want/*; do
		[ -s "$g" ] || { echo "tshark-goldens: $G/${g##*/}: no IKE message"; bad=1; }
	done
	# tshark now: all captures in one run, all key tables in another
	mapfile -t ports < <(for name in "${names[@]}"; do ports_of "$name"; done | sort -u)
	mergecap -a -F pcapng -w "$tmp/all.pcapng" "${caps[@]}"
	frames "${caps[@]}" > "$tmp/all.frames"
	ts_fields "$tmp/all.pcapng" "${ports[@]}" | normalise fields "$tmp/all.frames" "$tmp/out"
	mergecap -a -F pcapng -w "$tmp/keyed.pcapng" "${tcaps[@]}"
	frames "${tcaps[@]}" > "$tmp/keyed.frames"
	for name in "${tnames[@]}"; do cat "$K/$name.ikev2_decryption_table"; done > "$tmp/all.table"
	ts_inner "$tmp/keyed.pcapng" "$tmp/all.table" | normalise inner "$tmp/keyed.frames" "$tmp/out"
	# a golden that differs there: its capture run again alone before it counts
	for g in "$tmp"/want/*; do [ -e "$tmp/out/${g##*/}" ] || : > "$tmp/out/${g##*/}"; done
	for g in $(diff -rq "$tmp/want" "$tmp/out" | sed -n 's|^Files .*/want/\(.*\) and .* differ$|\1|p'); do
		name=${g%.*}
		if [ "${g##*.}" = fields ]; then
			mapfile -t p < <(ports_of "$name")
			ts_fields "$D/$name.pcap" "${p[@]}" | normalise fields > "$tmp/out/$g"
		else
			ts_inner "$D/$name.pcap" "$K/$name.ikev2_decryption_table" | normalise inner > "$tmp/out/$g"
		fi
		if diff -u --label "$G/$g ($(sed -n '1s/^# //p' "$G/$g"))" --label "tshark now ($now)" "$tmp/want/$g" "$tmp/out/$g"; then
			echo "tshark-goldens: $G/$g: differs among the captures concatenated, agrees alone"
		else
			bad=1
		fi
	done
	n=$(find "$tmp/want" -type f | wc -l)
	if [ $bad = 0 ]; then
		echo "tshark-goldens: all $n goldens are what $now prints"
	else
		echo "tshark-goldens: drift: regenerate with tests/tshark-goldens.sh, then check rkmp-decode against them (make check)" >&2
		exit 1
	fi
}

case "${1:-}" in
"") write_all ;;
--check) check_all ;;
--print)
	need_tshark
	case "${2:-}" in
	fields) [ $# -ge 3 ] || { echo "usage: $0 --print fields CAPTURE [PORT...]" >&2; exit 2; }
		cap=$3; shift 3; ts_fields "$cap" "$@" | normalise fields ;;
	inner) [ $# -eq 4 ] || { echo "usage: $0 --print inner CAPTURE TABLE" >&2; exit 2; }
		ts_inner "$3" "$4" | normalise inner ;;
	*) echo "usage: $0 --print fields|inner ..." >&2; exit 2 ;;
	esac ;;
*) echo "usage: $0 [--check | --print fields CAPTURE [PORT...] | --print inner CAPTURE TABLE]" >&2; exit 2 ;;
esac

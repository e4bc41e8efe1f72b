#!/usr/bin/env bash
# Run every ```console block of README.md, in order, and compare each command's
# output with the lines the README shows under it.
#   RKMP_BIN=build/bin tests/readme.sh [README]
#
# How a block reads: a line "$ COMMAND" is a command (a command line ending in
# "|", "\", "&&" or "||" goes on over the next line); the lines up to the next
# command are its output, stdout and stderr together.  Every block runs in one
# shell, in one scratch directory for the whole file (blocks build on earlier
# ones, as a reader following the README does), with $RKMP_BIN first in PATH,
# TZ=UTC, LC_ALL=C, HOME in the scratch directory, and testdata/ linked there,
# as when working at the top of the tree.  Where the system lets it (unshare),
# the run has a network namespace of its own, with only a loopback interface,
# so its UDP port 50500 and its captures on lo meet no other program.
#   - "COMMAND &" runs in the background; the lines under it are its whole
#     output, compared once "wait" (or "wait $!", or the end of the file) has
#     waited for it.
#     The next command starts when it has printed its first line (a responder
#     says where it listens), or after 3 s.
#   - Each command must exit 0, unless the next command is "echo $?", which
#     then shows the status.
#   - Stdout and stderr are captured apart: the README's lines must be the two
#     interleaved, each in its own order (a terminal may show them mixed).
#   - A block after the comment "<!-- readme-test: skip (REASON) -->" (the last
#     line before the fence that is not blank) is not run.
#   - A block after "<!-- readme-test: needs WORD... -->" runs only where each
#     WORD is there: "root" (uid 0), else a command; elsewhere it is skipped
#     with a note, or fails the test when RKMP_TEST_STRICT=1 (CI).  Background
#     daemons it starts with a pid file in the scratch directory ("-P r1.pid")
#     are stopped at the end.
#
# What varies from run to run is normalised, on both sides, by these sed rules
# (see norm below):
#   1. dates and times: 2026-11-27T09:12:10Z, 20261127091205Z, 09:12:10Z,
#      a capture's 09:47:00.479801, FRR's "09:12:10 27 November 2026" -> <time>
#   2. hex strings of 8 digits or more: SPIs, keys, ICVs -> <hex>
#   3. one-octet SPIs (KeyIDs) after "SPI ", "SPI: ", "-name ", "KeyName ",
#      "KeyName":", "key_name":", "spi_local":", "spi_peer":", in the row
#      names ".../65-67/", FRR's " key 101" and the RECV/SEND column
#      of "rkmp-keytable list" ("  f1/d6  ")                -> <spi>
#   4. the port of 127.0.0.1 unless it is 50500 (the peer's ephemeral port)
#                                                         -> <port>
#   5. a lifetime window of "rkmp-keytable list" ("-5s..+2m5s", "now..+9h"):
#      durations from now, which move with the time a run takes -> <window>
#   6. runs of spaces -> one space (the columns of a table are as wide as
#      their widest cell, which rules 2-5 change), and none at the end of a line
#   7. carriage returns are dropped (a terminal shows none), and so is
#      tshark's warning "Running as user "root" ..." (only root sees it)
#
# Exit 0 when every command printed what the README shows; else 1, with the
# README line of each command that differs and a diff (- README, + actual).
# RKMP_README_KEEP=DIR keeps the raw outputs there (N.cmd, N.out, N.err, N.st,
# in README order), to update the README from a real run.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
readme=$(cd "$(dirname "${1:-$top/README.md}")" && pwd)/$(basename "${1:-README.md}")
bin=$(cd "${RKMP_BIN:-$top/build/bin}" && pwd) || { echo "readme: no binaries (RKMP_BIN)" >&2; exit 2; }
[ -r "$readme" ] || { echo "readme: cannot read $readme" >&2; exit 2; }

# A network namespace of our own, when unshare can make one (root, or a user
# namespace); the test runs without one otherwise.  And a mount namespace: the
# network namespaces a block adds (ip netns add) are mounts in it, gone with it.
if [ -z "${RKMP_README_NETNS:-}" ] && command -v unshare >/dev/null && command -v ip >/dev/null; then
	for u in -nm -rnm -n -rn; do
		if unshare "$u" true 2>/dev/null; then
			RKMP_README_NETNS=1 RKMP_BIN=$bin exec unshare "$u" bash "$0" "$readme"
		fi
	done
fi
if [ "${RKMP_README_NETNS:-}" = 1 ]; then
	ip link set lo up || { echo "readme: cannot bring lo up in the network namespace" >&2; exit 2; }
fi

rt=$(mktemp -d "${TMPDIR:-/tmp}/rkmp-readme.XXXXXX") || exit 7
# daemons a block started (pid files in the scratch directory) stop with the run
stop_daemons() {
	local p
	for p in "$rt"/w/*.pid; do
		[ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null
	done
}
trap 'stop_daemons; rm -rf "$rt"' EXIT
mkdir "$rt/w" "$rt/t" "$rt/w/.home"
ln -s "$top/testdata" "$rt/w/testdata"

norm() {
	sed -E \
	    -e 's/\r//g; /^Running as user "root" and group "root"\. This could be dangerous\.$/d' \
	    -e 's/([0-9]{4}-[0-9]{2}-[0-9]{2}T)?[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z?( [0-9]{1,2} [A-Z][a-z]+ [0-9]{4})?|[0-9]{14}Z/<time>/g' \
	    -e 's/\b[0-9a-f]{8,}\b/<hex>/g' \
	    -e 's/(SPI:? |-name |KeyName |KeyName": ?"|key_name": ?"|spi_local": ?"|spi_peer": ?")[0-9a-f]{2}\b/\1<spi>/g' \
	    -e 's#/[0-9a-f]{2}-[0-9a-f]{2}/#/<spi>-<spi>/#g; s/^ key [0-9]+$/ key <spi>/' \
	    -e 's#  [0-9a-f]{2}/[0-9a-f]{2}  #  <spi>/<spi>  #g' \
	    -e 's/(now|[-+][0-9][0-9dhms]*)\.\.(now|[-+][0-9][0-9dhms]*)/<window>/g' \
	    -e 's/\b127\.0\.0\.1([.:])50500\b/127.0.0.1\1=50500=/g; s/\b127\.0\.0\.1([.:])[0-9]+\b/127.0.0.1\1<port>/g; s/=50500=/50500/g' \
	    -e 's/  +/ /g; s/ +$//'
}

# Cut the README into commands: t/N.cmd (the command), t/N.exp (the lines
# shown under it), t/N.lines (their README line numbers) and one line of
# t/plan per command: N, README line, block, background (1/0), then the
# heading of its section.
__uid=$(id -u) awk -v t="$rt/t" '
function flush_cmd() {
	if (n > 0) { close(t "/" n ".cmd"); close(t "/" n ".exp"); close(t "/" n ".lines") }
}
/^#+ / && !infence { heading = $0 }
/^```/ {
	if (!infence) {
		infence = 1
		console = ($0 == "```console")
		if (console) {
			block++
			incmd = 0
			skip = (prev ~ /^<!-- readme-test: skip \(.+\) -->$/)
			if (prev ~ /^<!-- readme-test: needs [^>]+ -->$/) {
				words = prev
				sub(/^<!-- readme-test: needs /, "", words)
				sub(/ -->$/, "", words)
				nw = split(words, w, " ")
				missing = ""
				for (k = 1; k <= nw; k++)
					if (w[k] == "root" ? ENVIRON["__uid"] != "0" : \
					    system("command -v " w[k] " >/dev/null 2>&1") != 0)
						missing = missing " " w[k]
				if (missing != "") {
					skip = 1
					prev = "<!-- readme-test: skip (needs" missing ") -->"
					if (ENVIRON["RKMP_TEST_STRICT"] == "1") {
						print "readme: line " NR - 1 ": the block needs" missing " (RKMP_TEST_STRICT=1)" > "/dev/stderr"
						bad = 1
					}
				}
				needs = 1
			} else
				needs = 0
			if (skip) {
				reason = prev
				sub(/^<!-- readme-test: skip \(/, "", reason)
				sub(/\) -->$/, "", reason)
				print block "\t" NR "\t" reason > (t "/skipped")
			} else if (prev ~ /readme-test/ && !needs) {
				print "readme: line " NR - 1 ": not <!-- readme-test: skip (REASON) --> or needs WORD... -->" > "/dev/stderr"
				bad = 1
			}
		}
		next
	}
	infence = 0
	if (console && !skip) flush_cmd()
	console = 0
	next
}
!infence { if ($0 !~ /^[ \t]*$/) prev = $0; next }
!console || skip { next }
cont {
	print $0 >> (t "/" n ".cmd")
	cont = ($0 ~ /(\||\\|&&|\|\|)[ \t]*$/)
	next
}
/^\$ / {
	flush_cmd()
	n++
	line = substr($0, 3)
	bg = (line ~ /[^&]&[ \t]*$/)
	if (bg) sub(/&[ \t]*$/, "", line)
	printf "%s", "" > (t "/" n ".exp")
	printf "%s", "" > (t "/" n ".lines")
	print line > (t "/" n ".cmd")
	incmd = 1
	cont = (line ~ /(\||\\|&&|\|\|)[ \t]*$/)
	print n "\t" NR "\t" block "\t" bg "\t" heading > (t "/plan")
	next
}
!incmd {
	print "readme: line " NR ": output before the first command of its block" > "/dev/stderr"
	bad = 1
	next
}
{
	print $0 >> (t "/" n ".exp")
	print NR >> (t "/" n ".lines")
}
END {
	if (infence) { print "readme: unterminated code block" > "/dev/stderr"; exit 2 }
	if (bad) exit 2
}
' "$readme" || exit 2
[ -s "$rt/t/plan" ] || { echo "readme: no console block in $readme" >&2; exit 2; }

# The script that runs them all in one shell: each command's stdout, stderr and
# status go to t/N.out, t/N.err and t/N.st; $? stays the command's for the next.
{
	cat <<-'EOF'
	__rt_ret() { return "$1"; }
	__rt_bg=()
	__rt_started() {	# a background command has printed something, or ended
		local i
		for ((i = 0; i < 60; i++)); do
			if [ -s "$1" ] || [ -s "$2" ] || ! kill -0 "$3" 2>/dev/null; then return 0; fi
			sleep 0.05
		done
	}
	__rt_wait() {		# "wait [PID...]": those background commands' statuses
		local j keep=()
		for j in "${__rt_bg[@]}"; do
			if [ $# -gt 0 ] && [[ " $* " != *" ${j#*:} "* ]]; then
				keep+=("$j")
				continue
			fi
			wait "${j#*:}"
			echo $? > "$__rt/${j%%:*}.st"
		done
		__rt_bg=("${keep[@]}")
	}
	EOF
	# shellcheck disable=SC2016 # "$__rt", "$?", "$!" are for the generated script
	while IFS=$'\t' read -r n _ _ bg _; do
		cmd=$(cat "$rt/t/$n.cmd")
		if [[ "$cmd" =~ ^wait([ \t]|$) ]]; then
			printf '{ __rt_%s\n} >"$__rt/%s.out" 2>"$__rt/%s.err"; echo $? >"$__rt/%s.st"\n' "$cmd" "$n" "$n" "$n"
		elif [ "$bg" = 1 ]; then
			printf '{ %s\n} >"$__rt/%s.out" 2>"$__rt/%s.err" &\n' "$cmd" "$n" "$n"
			printf '__rt_bg+=("%s:$!"); __rt_started "$__rt/%s.out" "$__rt/%s.err" $!\n' "$n" "$n" "$n"
		else
			printf '{ %s\n} >"$__rt/%s.out" 2>"$__rt/%s.err"\n' "$cmd" "$n" "$n"
			printf '__rt_st=$?; echo $__rt_st >"$__rt/%s.st"; __rt_ret $__rt_st\n' "$n"
		fi
	done < "$rt/t/plan"
	echo '__rt_wait'
} > "$rt/run.sh"

(cd "$rt/w" && __rt=$rt/t PATH="$bin:$PATH" TZ=UTC LC_ALL=C HOME=$rt/w/.home XDG_CONFIG_HOME=$rt/w/.home \
    timeout 600 bash "$rt/run.sh" </dev/null) || {
	echo "readme: the run of the README's commands did not finish (exit $?)" >&2
	exit 1
}

# interleaved EXPECTED OUT ERR: EXPECTED is OUT and ERR merged, each in order;
# else prints the index (from 0) of the first line of EXPECTED that fits neither
interleaved() {
	awk -v out="$2" -v err="$3" '
	BEGIN {
		i = j = no = ne = 0
		while ((getline l < out) > 0) o[no++] = l
		while ((getline l < err) > 0) e[ne++] = l
	}
	{
		if (i < no && $0 == o[i]) i++
		else if (j < ne && $0 == e[j]) j++
		else { print NR - 1; bad = 1; exit 1 }
	}
	END { if (!bad && (i < no || j < ne)) { print NR; exit 1 } }
	' "$1"
}

if [ -n "${RKMP_README_KEEP:-}" ]; then
	mkdir -p "$RKMP_README_KEEP" && cp "$rt"/t/* "$rt/run.sh" "$RKMP_README_KEEP"/
fi

fails=0 total=0
while IFS=$'\t' read -r n line block bg heading; do
	cmd=$(cat "$rt/t/$n.cmd")
	total=$((total + 1))
	st=$(cat "$rt/t/$n.st" 2>/dev/null || echo '?')
	norm < "$rt/t/$n.exp" > "$rt/t/$n.nexp"
	norm < "$rt/t/$n.out" > "$rt/t/$n.nout"
	norm < "$rt/t/$n.err" > "$rt/t/$n.nerr"
	# "cmd" then "echo $?": the status is shown, not checked here
	next=$((n + 1))
	shows_status=0
	[ -f "$rt/t/$next.cmd" ] && [ "$(cat "$rt/t/$next.cmd")" = 'echo $?' ] && shows_status=1
	why=
	if k=$(interleaved "$rt/t/$n.nexp" "$rt/t/$n.nout" "$rt/t/$n.nerr"); then
		if [ "$st" != 0 ] && [ $shows_status = 0 ]; then
			why="exit status $st (the README shows none)"
		fi
	else
		at=$(sed -n "$((k + 1))p" "$rt/t/$n.lines")
		why="output differs${at:+ at README line $at}"
	fi
	[ -z "$why" ] && continue
	fails=$((fails + 1))
	printf '\nreadme: %s:%s: block %s (%s): %s\n' "$(basename "$readme")" "$line" "$block" "$heading" "$why"
	sed 's/[ \t]*$//; s/^/  $ /' "$rt/t/$n.cmd" | sed '2,$s/^  \$ /    /'
	cat "$rt/t/$n.nout" "$rt/t/$n.nerr" | diff -u --label README --label actual "$rt/t/$n.nexp" - |
	    tail -n +3 | sed 's/^/  /'
done < "$rt/t/plan"
echo
if [ -s "$rt/t/skipped" ]; then
	while IFS=$'\t' read -r block line reason; do
		echo "readme: skipped block $block (line $line): $reason"
	done < "$rt/t/skipped"
fi
if [ "$fails" -gt 0 ]; then
	echo "readme: $fails of $total commands differ from the README (outputs normalised: see tests/readme.sh)"
	exit 1
fi
echo "readme: all $total commands of the README's console blocks printed what it shows"

# netns.bash — two network namespaces on one veth pair, for the project's labs
# (tests/interop/strongswan-peer.sh, tests/routing/bgp-lab.sh,
# tests/bats/93-udp-nat.bats).  Root only.
# shellcheck shell=bash

# netns_del NS...: delete those of the namespaces that exist
netns_del() {
	local ns cmds=""
	for ns in "$@"; do
		if [ -e "/run/netns/$ns" ]; then cmds+="netns del $ns"$'\n'; fi
	done
	# one ip for all (ip -batch: a process each was most of the labs' set-up)
	[ -z "$cmds" ] || ip -batch - <<<"$cmds"
}

# netns_pair NS_A DEV_A ADDR_A NS_B DEV_B ADDR_B: (re)create both namespaces
# joined by a veth pair, DEV_A in NS_A with ADDR_A (CIDR) and DEV_B in NS_B with
# ADDR_B, loopback and both ends up; back once the pair has carrier (at most 5 s)
netns_pair() {
	local i
	netns_del "$1" "$4"
	ip -batch - <<EOF
netns add $1
netns add $4
link add $2 netns $1 type veth peer name $5 netns $4
EOF
	ip -n "$1" -batch - <<EOF
addr add $3 dev $2
link set lo up
link set $2 up
EOF
	ip -n "$4" -batch - <<EOF
addr add $6 dev $5
link set lo up
link set $5 up
EOF
	for ((i = 0; i < 50; i++)); do
		if [[ $(ip -n "$4" -br link show "$5") == *' UP '* ]]; then break; fi
		sleep 0.1
	done
}

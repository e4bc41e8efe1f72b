# netns.bash — two network namespaces on one veth pair, for the project's labs
# (tests/interop/strongswan-peer.sh, tests/routing/bgp-lab.sh,
# tests/bats/93-udp-nat.bats).  Root only.
# shellcheck shell=bash

# netns_del NS...: delete those of the namespaces that exist
netns_del() {
	local ns
	for ns in "$@"; do
		if [ -e "/run/netns/$ns" ]; then ip netns del "$ns"; fi
	done
}

# netns_pair NS_A DEV_A ADDR_A NS_B DEV_B ADDR_B: (re)create both namespaces
# joined by a veth pair, DEV_A in NS_A with ADDR_A (CIDR) and DEV_B in NS_B with
# ADDR_B, loopback and both ends up; back once the pair has carrier (at most 5 s)
netns_pair() {
	local ns i
	netns_del "$1" "$4"
	ip netns add "$1"
	ip netns add "$4"
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4"
	ip -n "$1" addr add "$3" dev "$2"
	ip -n "$4" addr add "$6" dev "$5"
	for ns in "$1" "$4"; do ip -n "$ns" link set lo up; done
	ip -n "$1" link set "$2" up
	ip -n "$4" link set "$5" up
	for ((i = 0; i < 50; i++)); do
		ip -n "$4" -br link show "$5" | grep -q ' UP ' && break
		sleep 0.1
	done
}

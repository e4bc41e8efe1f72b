# SPDX-License-Identifier: MIT
# bash completion for the rkmp tools: rkmp-decode, rkmp-init, rkmp-auth,
# rkmp-child, rkmp-keytable, rkmp-hook, rkmpd and rkmpctl.  One file for all of them; it is
# installed under each command's name so that bash-completion loads it on demand.
#
# Options come live from the tool itself (CMD --list-options prints one per
# line), and so do rkmp-keytable's subcommands (--list-commands), so this file
# never goes stale; only the option arguments are known here.

# Add the words of "$@" that start with $cur to COMPREPLY.
_rkmp_words()
{
	local w
	for w in "$@"; do
		[[ $w == "$cur"* ]] && COMPREPLY+=("$w")
	done
}

# Every child protocol (lib/protocols.c): --protocol of rkmp-keytable and rkmpctl.
_rkmp_protocols()
{
	_rkmp_words tcp-ao bfd rsvp-te tcp-md5 esp
}

# Files (and directories, to descend into) whose names match one of the
# extensions given, compared case-insensitively.
_rkmp_files_ext()
{
	local f ext lower
	compopt -o filenames 2>/dev/null
	while IFS= read -r f; do
		if [[ -d $f ]]; then
			COMPREPLY+=("$f")
			continue
		fi
		lower=${f,,}
		for ext in "$@"; do
			if [[ $lower == *."$ext" ]]; then
				COMPREPLY+=("$f")
				break
			fi
		done
	done < <(compgen -f -- "$cur")
}

# Any file.
_rkmp_files()
{
	local f
	compopt -o filenames 2>/dev/null
	while IFS= read -r f; do
		COMPREPLY+=("$f")
	done < <(compgen -f -- "$cur")
}

# A command (--rp-hook): a path is a file, a word a command name.
_rkmp_commands()
{
	local c
	if [[ $cur == */* ]]; then
		_rkmp_files
		return 0
	fi
	while IFS= read -r c; do
		COMPREPLY+=("$c")
	done < <(compgen -c -- "$cur" | sort -u)
}

# Network interfaces, from /sys/class/net.
_rkmp_interfaces()
{
	local d names=()
	for d in /sys/class/net/*; do
		[[ -e $d ]] && names+=("${d##*/}")
	done
	_rkmp_words "${names[@]}"
}

# The lines a tool prints when run with the arguments after it (one word a
# line: rkmp-keytable --list-commands); nothing when it is not installed or
# fails.
_rkmp_ask()
{
	local w ws=()
	command -v -- "$1" >/dev/null 2>&1 || return 0
	while IFS= read -r w; do
		ws+=("$w")
	done < <("$@" 2>/dev/null)
	_rkmp_words "${ws[@]}"
}

# The options of a tool, as it lists them (rkmp-keytable: those of the
# subcommand given after the tool).
_rkmp_options()
{
	_rkmp_ask "$1" --list-options "${@:2}"
}

# An identity (--id, --peer-id): offer the type prefixes, nothing after them.
# COMP_WORDBREAKS cuts "--id=fqdn:name" into "--id" "=" "fqdn" ":" "name", so
# walk back over the pieces to the start of the argument.  Returns 1 when the
# word being completed is not an identity.
_rkmp_identity()
{
	local k=$COMP_CWORD arg='' i
	while ((k > 1)) && [[ ${words[k]} =~ ^[:=]+$ || ${words[k-1]} =~ ^[:=]+$ ]]; do
		k=$((k - 1))
	done
	for ((i = k; i <= COMP_CWORD; i++)); do
		arg+=${words[i]}
	done
	case $arg in
	--id=* | --peer-id=*)
		arg=${arg#*=}
		;;
	*)
		[[ ${words[k-1]} == --id || ${words[k-1]} == --peer-id ]] || return 1
		;;
	esac
	if [[ $arg != *:* ]]; then
		compopt -o nospace 2>/dev/null
		_rkmp_words fqdn: email: ipv4: ipv6: keyid:
	fi
	return 0
}

# The state file named on the command line (-s FILE, -sFILE, --state FILE,
# --state=FILE), or nothing.
_rkmp_state_arg()
{
	local i
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${words[i]} in
		-s | --state)
			# "--state=FILE" comes split as "--state" "=" "FILE"
			if [[ ${words[i+1]} == = ]]; then
				((i + 2 < COMP_CWORD)) && printf '%s\n' "${words[i+2]}"
			else
				((i + 1 < COMP_CWORD)) && printf '%s\n' "${words[i+1]}"
			fi
			return 0
			;;
		--state=?*)
			printf '%s\n' "${words[i]#--state=}"
			return 0
			;;
		-s?*)
			printf '%s\n' "${words[i]#-s}"
			return 0
			;;
		esac
	done
}

# rkmp-child --rekey/--delete: our SPIs of the children in the state file
# whose state is one of "$@" (needs jq and a readable state file).
_rkmp_child_spis()
{
	local state spi spis=() filter=''
	state=$(_rkmp_state_arg)
	[[ $state == \~/* ]] && state=$HOME/${state#\~/}
	[[ -n $state && -r $state ]] || return 0
	command -v jq >/dev/null 2>&1 || return 0
	for spi in "$@"; do
		filter+="${filter:+ or }.state == \"$spi\""
	done
	while IFS= read -r spi; do
		spis+=("$spi")
	done < <(jq -r ".children[]? | select($filter) | .spi_local" -- "$state" 2>/dev/null)
	_rkmp_words "${spis[@]}"
}

_rkmp()
{
	local cmd=$1 name=${1##*/} cur prev i
	local -a words
	COMPREPLY=()
	words=("${COMP_WORDS[@]:0:COMP_CWORD+1}")
	cur=${words[COMP_CWORD]}
	prev=
	((COMP_CWORD > 0)) && prev=${words[COMP_CWORD-1]}

	# --opt=value: COMP_WORDBREAKS splits it into "--opt" "=" "value".
	if [[ $cur == = ]]; then
		cur=
		prev=${words[COMP_CWORD-1]}
	elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
		prev=${words[COMP_CWORD-2]}
	fi

	# After "--" every word is a file.
	for ((i = 1; i < COMP_CWORD; i++)); do
		if [[ ${words[i]} == -- ]]; then
			_rkmp_files
			return 0
		fi
	done

	case $name in
	rkmpd)
		# rkmpd -c FILE [-f] [-v] [--delete-on-stop] [--check]: rkmpd(8)
		case $prev in
		-c | --config | -[!-]*c)
			_rkmp_files_ext json
			return 0
			;;
		esac
		_rkmp_options "$cmd"
		return 0
		;;
	rkmpctl)
		# rkmpctl [-s PATH] [--json] [--timeout S] status [PEER] | rekey PEER SPI |
		# generate PEER [--protocol P] | delete PEER [SPI] | up PEER | down PEER | reload |
		# events [--follow]: rkmpctl(1)
		case $prev in
		-s | --socket | -[!-]*s)
			_rkmp_files
			return 0
			;;
		--protocol)
			_rkmp_protocols
			return 0
			;;
		--timeout)
			return 0
			;;
		esac
		if [[ $cur == -* ]]; then
			_rkmp_options "$cmd"
			return 0
		fi
		local cmdword='' w
		for ((i = 1; i < COMP_CWORD; i++)); do
			w=${words[i]}
			case $w in
			-s | --socket | --protocol | --timeout) ((i++)) ;;
			-* | =) ;;
			*)
				cmdword=$w
				break
				;;
			esac
		done
		# the command; its arguments (peers, SPIs) are the daemon's
		[[ -z $cmdword ]] && _rkmp_ask "$cmd" --list-commands
		return 0
		;;
	rkmp-hook)
		# rkmp-hook bird|frr [options]: rkmp-hook(8)
		local daemon=
		for ((i = 1; i < COMP_CWORD; i++)); do
			[[ ${words[i]} == bird || ${words[i]} == frr ]] && daemon=${words[i]}
		done
		case $prev in
		--include | --file | --socket)
			_rkmp_files
			return 0
			;;
		--vty-socket)
			compopt -o dirnames 2>/dev/null
			return 0
			;;
		-t | --keytable)
			_rkmp_files_ext json
			return 0
			;;
		--peer | --pathspace | --now)
			return 0
			;;
		esac
		if [[ -z $daemon && $cur != -* ]]; then
			_rkmp_words bird frr
		else
			_rkmp_options "$cmd" ${daemon:+"$daemon"}
		fi
		return 0
		;;
	rkmp-decode)
		case $prev in
		-r | --read | -[!-]*r)
			_rkmp_files_ext pcap pcapng cap
			return 0
			;;
		-i | --interface | -[!-]*i)
			_rkmp_interfaces
			return 0
			;;
		-s | --state | -[!-]*s)
			_rkmp_files_ext json
			return 0
			;;
		--keys)
			# a Wireshark ikev2_decryption_table or a strongSwan key log: any name
			_rkmp_files
			return 0
			;;
		--export-keys)
			_rkmp_words wireshark tcpdump
			return 0
			;;
		-f | --filter | -[!-]*f | -c | --count | -[!-]*c | --port | --rkmp-port)
			# a BPF expression or a number: nothing to offer
			return 0
			;;
		esac
		if [[ $cur != -* ]]; then
			# With -i, the remaining words are a BPF expression.
			for ((i = 1; i < COMP_CWORD - 1; i++)); do
				case ${words[i]} in
				-i | --interface | --interface=* | -[!-]*i | -i?*)
					return 0
					;;
				esac
			done
		fi
		;;
	rkmp-keytable)
		# rkmp-keytable -t FILE SUBCOMMAND [ARG] [options]: rkmp-keytable(1)
		case $prev in
		-t | --keytable | -[!-]*t)
			_rkmp_files_ext json
			return 0
			;;
		--protocol)
			_rkmp_protocols
			return 0
			;;
		--format)
			_rkmp_words bird-bgp frr-bgp bird-keychain frr-keychain rfc8177 wireshark-esp
			return 0
			;;
		--kdf)
			_rkmp_words hmac-sha1 aes-128-cmac
			return 0
			;;
		--interface)
			_rkmp_interfaces
			_rkmp_words all
			return 0
			;;
		--master-key-file)
			_rkmp_files
			return 0
			;;
		--peer | --spi | --old-spi | --key-name | --rkmp-sa | --now | --grace | \
			--prefer | --src | --dst | --sport | --dport | --src-isn | --dst-isn)
			# addresses, hex, times, numbers: nothing to offer
			return 0
			;;
		esac
		# the first word that is not an option (or an option's argument) is the subcommand
		local sub='' w
		for ((i = 1; i < COMP_CWORD; i++)); do
			w=${words[i]}
			case $w in
			-t | --keytable | --protocol | --peer | --spi | --old-spi | --interface | \
				--key-name | --rkmp-sa | --format | --now | --grace | --prefer | \
				--master-key-file | --kdf | --src | --dst | --sport | --dport | \
				--src-isn | --dst-isn)
				((i++))
				;;
			-* | = | :) ;;
			*)
				sub=$w
				break
				;;
			esac
		done
		if [[ $cur == -* ]]; then
			# the options of the subcommand, once it is given
			_rkmp_options "$cmd" ${sub:+"$sub"}
			return 0
		fi
		case $sub in
		'')
			_rkmp_ask "$cmd" --list-commands
			;;
		insert | rekey)
			_rkmp_files_ext json
			;;
		esac
		return 0
		;;
	*)
		# The options the step tools share (rkmp(7), rkmp-init(1)).
		_rkmp_identity && return 0
		case $prev in
		-s | --state | -[!-]*s)
			_rkmp_files_ext json
			return 0
			;;
		-i | --in | -[!-]*i | -o | --out | -[!-]*o | -t | --keytable | -[!-]*t | \
			--psk-file | --events)
			_rkmp_files
			return 0
			;;
		--rp-hook)
			# a command line for /bin/sh -c: a command to start it with
			_rkmp_commands
			return 0
			;;
		--cert | --ca)
			_rkmp_files_ext pem
			return 0
			;;
		--key)
			_rkmp_files_ext pem key
			return 0
			;;
		--profile)
			_rkmp_words rkmp ikev2
			return 0
			;;
		--through)
			# rkmp-init --respond: the one exchange it can go on to
			_rkmp_words auth
			return 0
			;;
		--peer | --listen | --local | --proposal | --child-proposal | --seed | \
			--retransmit | --wait | --linger | --wait-lock | --peer-address | --now | \
			--fragment-size)
			# addresses, proposal strings, numbers, times: nothing to offer
			return 0
			;;
		esac
		if [[ $prev == --protocol ]]; then
			# rkmp-auth, rkmp-init --through auth: the first child (rkmp profile);
			# rkmp-child: esp too (ikev2)
			_rkmp_words tcp-ao bfd rsvp-te tcp-md5
			[[ $name == rkmp-child ]] && _rkmp_words esp
			return 0
		fi
		if [[ $name == rkmp-child ]]; then
			case $prev in
			--pfs)
				_rkmp_words x25519 x448 ecp256 ecp384 ecp521 modp2048 modp3072 modp4096
				return 0
				;;
			--rekey)
				_rkmp_child_spis established
				return 0
				;;
			--delete)
				_rkmp_child_spis established rekeyed
				return 0
				;;
			esac
		fi
		case $name in
		rkmp-init | rkmp-auth | rkmp-child)
			# no arguments but options
			_rkmp_options "$cmd"
			return 0
			;;
		esac
		;;
	esac

	if [[ $cur == -* ]]; then
		_rkmp_options "$cmd"
	else
		# raw message files and other arguments
		_rkmp_files
	fi
	return 0
}

complete -F _rkmp rkmp-decode rkmp-init rkmp-auth rkmp-child rkmp-keytable rkmp-hook

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end test of the NTB clients on a software NTB device pair
# (ntb_hw_sim), pair 0, under each profile of the simulator (full; intel,
# the operations of Intel, AMD and Switchtec NTBs; idt, those of IDT
# switches), the pair replugged between them:
#
#  - the sequence of tools/testing/selftests/ntb/ntb_test.sh: ntb_tool
#    (ports, link, doorbells, scratchpads where the profile has them,
#    messages where it has them, memory windows, both ways), ntb_pingpong
#    and ntb_perf; with -m, ntb_test.sh itself runs too, under the boot
#    profile (slow in an emulated guest: it forks for every register
#    access);
#  - the simulator's own behaviour: bus addresses, refused doorbells, link
#    speed and width, what is lost with the link down (peer scratchpads,
#    doorbells, messages) and counted, windows poisoned when their
#    translation is cleared;
#  - ntb_transport and ntb_netdev, the two ends in two network namespaces:
#    ping, iperf3 TCP, a transfer checked with sha256, the link pulled
#    and plugged back while traffic flows, and the two modules unloaded
#    under traffic and loaded again (full profile); ping, transfers and a
#    link flap (intel profile); ntb_transport refusing a device without
#    scratchpads (idt profile).
#
# The kernel log is checked after every step: a splat (BUG, WARNING,
# KASAN, UBSAN, Oops, lockdep, hung task, soft lockup, RCU stall) fails
# the step where it appeared.
#
# The kernel must be booted with a pair, for instance on x86:
#
#   memmap=64M\$0x70000000 ntb_hw_sim.mem=64M@0x70000000
#
# Usage: ntb_hw_sim.sh [-m] [-b KBUILD_DIR] [-p PERF_ORDER] [-t SECONDS]
#
#   -b DIR    load the NTB client modules with insmod from the kernel build
#             directory DIR (default: $KBUILD_OUTPUT when set); without a
#             build directory they are loaded with modprobe
#   -m        also run mainline's ntb_test.sh
#   -p ORDER  ntb_perf transfers 2^ORDER bytes per run (default 24)
#   -t SECS   length of the iperf3 run (default 3)
#
# Each check prints a TAP line; the exit status is 0 when all passed, 4
# (skip) without a simulated pair, 1 otherwise.

set -u

ksft_skip=4

kbuild=${KBUILD_OUTPUT:-}
mainline=
perf_order=24
iperf_time=3

while getopts "b:mp:t:h" opt; do
	case $opt in
	b) kbuild=$OPTARG ;;
	m) mainline=1 ;;
	p) perf_order=$OPTARG ;;
	t) iperf_time=$OPTARG ;;
	*) sed -n '3,/^$/s/^# \{0,1\}//p' "$0"; exit 2 ;;
	esac
done

export PATH=$PATH:/usr/sbin:/sbin

here=$(cd "$(dirname "$0")" && pwd)
debugfs=/sys/kernel/debug
sim=$debugfs/ntb_hw_sim/pair0
modules="ntb_netdev ntb_transport ntb_tool ntb_perf ntb_pingpong"
ns_a=ntbsim-a-$$
ns_b=ntbsim-b-$$
profile=
boot_profile=
addr_a=192.168.253.1
addr_b=192.168.253.2
tmp=
num=0
failed=0

# The kernel log checks (kmsg_start, kmsg_check), shared with the other
# driver selftests.
source "$(dirname "$0")/../../../kselftest/kmsg.sh"

# splat_check STEP: a failure, with the report, if the kernel logged a
# splat since the last step.
splat_check() {
	kmsg_check && return
	num=$((num + 1))
	failed=$((failed + 1))
	echo "not ok $num - no kernel splat during: $*"
	sed 's/^/# /' "$KMSG_REPORT"
}

ok() {
	num=$((num + 1))
	echo "ok $num - ${profile:+$profile: }$*"
	splat_check "$@"
}

fail() {
	num=$((num + 1))
	failed=$((failed + 1))
	echo "not ok $num - ${profile:+$profile: }$*"
	splat_check "$@"
}

skip() {
	num=$((num + 1))
	echo "ok $num - ${profile:+$profile: }$* # SKIP"
	splat_check "$@"
}

# check DESCRIPTION COMMAND...: one TAP line for the command's status.
check() {
	local what=$1

	shift
	if "$@"; then
		ok "$what"
	else
		fail "$what"
	fi
}

# busywait TIMEOUT_SECONDS COMMAND...: until the command succeeds.
busywait() {
	local end=$((SECONDS + $1))

	shift
	until "$@"; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.1
	done
}

# get VAR FILE: the contents of a debugfs file. ntb_tool's files need one
# large read, and $(<FILE) does it without starting a process (exec is
# slow in an emulated guest).
get() {
	local val

	val=$(< "$2") || return 1
	printf -v "$1" '%s' "$val"
}

# field VAR FILE NAME: the value of "NAME <tab> value" in a debugfs file.
field() {
	local text line

	get text "$2" || return 1
	while IFS= read -r line; do
		case $line in
		"$3"[[:space:]]*)
			printf -v "$1" '%s' "${line##*[[:space:]]}"
			return 0
			;;
		esac
	done <<< "$text"
	return 1
}

# refused FILE VALUE: writing VALUE to the debugfs FILE fails.
refused() {
	! echo "$2" 2>/dev/null > "$1"
}

# NTB client modules, from the build directory or installed.
mod_load() {
	local name=$1 ko

	shift
	if [ -z "$kbuild" ]; then
		modprobe "$name" "$@"
		return
	fi
	ko=$(find "$kbuild/drivers/ntb" "$kbuild/drivers/net" \
		-name "$name.ko" 2>/dev/null | head -n 1)
	[ -n "$ko" ] || { echo "# no $name.ko in $kbuild"; return 1; }
	insmod "$ko" "$@"
}

mod_unload() {
	local name rc=0

	for name; do
		[ -d "/sys/module/$name" ] || continue
		if [ -z "$kbuild" ]; then
			modprobe -r "$name" || rc=1
		else
			rmmod "$name" || rc=1
		fi
	done
	return $rc
}

cleanup() {
	set +e
	[ -n "$tmp" ] && [ -f "$tmp/pids" ] && kill $(cat "$tmp/pids") 2>/dev/null
	wait 2>/dev/null
	[ -w "$sim/link" ] && echo Y > "$sim/link"
	ip netns del "$ns_a" 2>/dev/null
	ip netns del "$ns_b" 2>/dev/null
	mod_unload $modules
	# Other tests after this one expect the pair as it booted.
	[ -n "$boot_profile" ] && echo "$boot_profile" > "$sim/profile"
	[ -n "$tmp" ] && rm -rf "$tmp"
	kmsg_stop
}

# Operations the simulator refused, both sides.
rejected() {
	sed -n 's/^  rejected \([0-9]*\)$/\1/p' "$sim/info" |
		awk '{ n += $1 } END { print n + 0 }'
}

# Writes dropped and reads answered with all ones because the link was
# down, both sides: "DROPPED ALL_ONES".
lost() {
	sed -n 's/^  link down: dropped writes \([0-9]*\), all-ones reads \([0-9]*\)$/\1 \2/p' \
		"$sim/info" | awk '{ d += $1; o += $2 } END { print d + 0, o + 0 }'
}

# What the profile has: scratchpads (not IDT), messages (not Intel).
has_spads() {
	[ "$profile" != idt ]
}

has_msgs() {
	[ "$profile" != intel ]
}

# set_profile NAME: replug pair 0 with the operations of profile NAME.
set_profile() {
	echo "$1" > "$sim/profile" &&
	[ "$(< "$sim/profile")" = "$1" ] &&
	[ -e "/sys/bus/ntb/devices/$dev_a" ] && [ -e "/sys/bus/ntb/devices/$dev_b" ]
}

# --- The ntb_test.sh sequence, on ntb_tool, ntb_pingpong, ntb_perf --------
#
# LOC and REM are the ntb_tool directories of the two devices, LP and RP
# their directories for each other.

tool_ports() {
	local loc=$1 rem=$2 lport rport lp_port rp_port

	get lport "$loc/port" && get rport "$rem/port" &&
	get lp_port "$loc/peer0/port" && get rp_port "$rem/peer0/port" &&
	[ "$((lport))" = "$((rp_port))" ] && [ "$((rport))" = "$((lp_port))" ]
}

# Disable the link from one side: both see it down; enable it again.
tool_link() {
	local lp=$1 rp=$2 link

	echo N > "$lp/../link" &&
	timeout 10 bash -c "echo N > '$lp/link_event'" &&
	get link "$rp/link" && [ "$link" = N ] &&
	echo Y > "$lp/../link"
}

# Ring every valid doorbell bit of the peer, one at a time.
tool_db() {
	local loc=$1 rem=$2 valid db exp=0 mask i

	get valid "$loc/db_valid_mask" || return 1
	echo "c $valid" > "$rem/db" || return 1
	for ((i = 0; i < 64; i++)); do
		get db "$rem/db" || return 1
		if [ "$((db))" != "$exp" ]; then
			echo "# doorbell $((db)), expected $exp"
			return 1
		fi
		mask=$(((1 << i) & valid))
		exp=$((exp | mask))
		echo "s $mask" > "$loc/peer_db" || return 1
	done
	echo "c $valid" > "$rem/db_mask" &&
	timeout 10 bash -c "echo $valid > '$rem/db_event'" &&
	echo "s $valid" > "$rem/db_mask" &&
	echo "c $valid" > "$rem/db"
}

tool_spad() {
	local lp=$1 rp=$2 n=0 f val rval

	for f in "$lp"/spad*; do
		val=$RANDOM
		echo $val > "$lp/spad$n" && get rval "$rp/../spad$n" || return 1
		[ "$((rval))" = "$val" ] || return 1
		n=$((n + 1))
	done
	[ $n -ge 16 ]
}

tool_msg() {
	local lp=$1 rp=$2 n=0 f val rval inbits

	get inbits "$rp/../msg_inbits" &&
	echo "c $inbits" > "$rp/../msg_sts" || return 1
	for f in "$lp"/msg[0-9]*; do
		val=$RANDOM
		echo $val > "$lp/msg$n" && get rval "$rp/../msg$n" || return 1
		[ "$((${rval%%<-*}))" = "$val" ] || return 1
		n=$((n + 1))
	done
	[ $n -ge 1 ]
}

# Translate the window on one side, map it on the other, and compare
# what each side writes with what the other reads.
tool_mw() {
	local lp=$1 rp=$2 w=$3 addr size

	echo 65536 > "$lp/mw_trans$w" &&
	field addr "$lp/mw_trans$w" "DMA Address" &&
	field size "$lp/mw_trans$w" "Window Size" &&
	echo "$addr:$((size))" > "$rp/peer_mw_trans$w" ||
		{ echo "# mw$w: cannot set up the window"; return 1; }

	head -c $((size)) /dev/urandom > "$tmp/mw"
	dd if="$tmp/mw" of="$lp/mw$w" bs=1M conv=notrunc 2>/dev/null &&
	cmp -n $((size)) "$lp/mw$w" "$rp/peer_mw$w" ||
		{ echo "# mw$w: the peer reads other data"; return 1; }

	head -c 4096 /dev/urandom > "$tmp/page"
	dd if="$tmp/page" of="$rp/peer_mw$w" bs=4096 conv=notrunc 2>/dev/null &&
	cmp -n 4096 "$tmp/page" "$lp/mw$w" ||
		{ echo "# mw$w: the peer's writes do not arrive"; return 1; }

	# Clearing the translation poisons the window: all ones. On IDT the
	# peer holds the translation, elsewhere the window's side.
	head -c $((size)) /dev/zero | tr '\0' '\377' > "$tmp/ones"
	if [ "$profile" = idt ]; then
		echo "$addr:0" > "$rp/peer_mw_trans$w" &&
		cmp -n $((size)) "$tmp/ones" "$lp/mw$w" ||
			{ echo "# mw$w: not poisoned once untranslated"; return 1; }
		echo 0 > "$lp/mw_trans$w"
	else
		echo 0 > "$lp/mw_trans$w" &&
		cmp -n $((size)) "$tmp/ones" "$rp/peer_mw$w" ||
			{ echo "# mw$w: not poisoned once untranslated"; return 1; }
		echo "$addr:0" > "$rp/peer_mw_trans$w"
	fi || { echo "# mw$w: cannot free the window"; return 1; }
}

both_links() {
	local a b

	get a "$1/peer0/link" && get b "$2/peer0/link" &&
	[ "$a" = "$3" ] && [ "$b" = "$3" ]
}

# Pull the cable: writes across the link (peer scratchpads, doorbells,
# messages) are dropped, reads of the peer's registers return all ones,
# and the simulator counts both. Then plug it back.
tool_link_down() {
	local ta=$1 tb=$2 d0 o0 d1 o1 writes=1 reads=0 got v0 v1 rc=0

	read -r d0 o0 <<< "$(lost)"
	echo N > "$sim/link"
	busywait 10 both_links "$ta" "$tb" N ||
		{ echo "# the link stays up"; echo Y > "$sim/link"; return 1; }

	if has_spads; then
		echo 0x1234 > "$tb/spad0" && echo 0x5678 > "$ta/peer0/spad0" &&
		get got "$tb/spad0" || rc=1
		[ "$((got))" = $((0x1234)) ] ||
			{ echo "# a scratchpad write crossed the link: $got"; rc=1; }
		get got "$ta/peer0/spad0" || rc=1
		[ "$((got))" = $((0xffffffff)) ] ||
			{ echo "# peer scratchpad reads $got, not all ones"; rc=1; }
		writes=$((writes + 1))
		reads=$((reads + 1))
	fi

	get v0 "$tb/db" && echo "s 0x1" > "$ta/peer_db" && get v1 "$tb/db" || rc=1
	[ "$((v0))" = "$((v1))" ] ||
		{ echo "# a doorbell rang across the link: $v0 -> $v1"; rc=1; }

	if has_msgs; then
		get v0 "$tb/msg_sts" && echo 0x77 > "$ta/peer0/msg0" &&
		get v1 "$tb/msg_sts" || rc=1
		[ "$((v0))" = "$((v1))" ] ||
			{ echo "# a message crossed the link: $v0 -> $v1"; rc=1; }
		writes=$((writes + 1))
	fi

	read -r d1 o1 <<< "$(lost)"
	echo "# link down: $((d1 - d0)) writes dropped, $((o1 - o0)) reads all ones"
	[ "$d1" -ge $((d0 + writes)) ] && [ "$o1" -ge $((o0 + reads)) ] ||
		{ echo "# expected $writes dropped writes, $reads all-ones reads"; rc=1; }

	echo Y > "$sim/link"
	busywait 10 both_links "$ta" "$tb" Y || { echo "# the link stays down"; rc=1; }
	[ -e "$tb/spad0" ] && echo 0 > "$tb/spad0"
	return $rc
}

tool_tests() {
	local ta=$debugfs/ntb_tool/$dev_a tb=$debugfs/ntb_tool/$dev_b
	local w n

	if ! mod_load ntb_tool; then
		fail "load ntb_tool"
		return
	fi

	check "ntb_tool: ports" tool_ports "$ta" "$tb"
	check "ntb_tool: link down from $dev_a" tool_link "$ta/peer0" "$tb/peer0"
	check "ntb_tool: link down from $dev_b" tool_link "$tb/peer0" "$ta/peer0"
	check "ntb_tool: link up" \
		timeout 10 bash -c "echo Y > '$ta/peer0/link_event' &&
				    echo Y > '$tb/peer0/link_event'"
	check "ntb_tool: link reports speed and width" \
		grep -q '^link up, gen [1-9][0-9]* x[1-9][0-9]*$' "$sim/info"

	check "ntb_tool: doorbells $dev_a -> $dev_b" tool_db "$ta" "$tb"
	check "ntb_tool: doorbells $dev_b -> $dev_a" tool_db "$tb" "$ta"
	if has_spads; then
		check "ntb_tool: scratchpads $dev_a -> $dev_b" tool_spad "$ta/peer0" "$tb/peer0"
		check "ntb_tool: scratchpads $dev_b -> $dev_a" tool_spad "$tb/peer0" "$ta/peer0"
	else
		check "ntb_tool: no scratchpads" \
			test ! -e "$ta/spad0" -a ! -e "$ta/peer0/spad0"
	fi
	if has_msgs; then
		check "ntb_tool: messages $dev_a -> $dev_b" tool_msg "$ta/peer0" "$tb/peer0"
		check "ntb_tool: messages $dev_b -> $dev_a" tool_msg "$tb/peer0" "$ta/peer0"
	else
		check "ntb_tool: no message registers" \
			test ! -e "$ta/msg_sts" -a ! -e "$ta/peer0/msg0"
	fi
	check "sim: link down, from $dev_a: writes dropped, reads all ones, counted" \
		tool_link_down "$ta" "$tb"

	n=0
	for w in "$ta"/peer0/mw_trans*; do
		n=$((n + 1))
	done
	check "ntb_tool: at least two memory windows" test $n -ge 2
	for ((w = 0; w < n; w++)); do
		check "ntb_tool: memory window $w of $dev_a" \
			tool_mw "$ta/peer0" "$tb/peer0" $w
		check "ntb_tool: memory window $w of $dev_b" \
			tool_mw "$tb/peer0" "$ta/peer0" $w
	done

	sim_tests "$ta" "$tb"

	mod_unload ntb_tool
}

pingpong_tests() {
	local pa=$debugfs/ntb_pingpong/$dev_a pb=$debugfs/ntb_pingpong/$dev_b
	local a0 b0 a1 b1

	if ! mod_load ntb_pingpong; then
		fail "load ntb_pingpong"
		return
	fi
	get a0 "$pa/count" && get b0 "$pb/count"
	sleep 3
	get a1 "$pa/count" && get b1 "$pb/count"
	echo "# ntb_pingpong: $dev_a $a0 -> $a1, $dev_b $b0 -> $b1"
	check "ntb_pingpong: both counters increment" \
		test "${a0:-x}" != "${a1:-x}" -a "${b0:-x}" != "${b1:-x}"
	mod_unload ntb_pingpong
}

# perf_run FROM TO: ntb_perf from one device to the other.
perf_run() {
	local dir=$debugfs/ntb_perf/$1

	# The peers exchange their buffers' addresses first: -ENOLINK until then.
	busywait 20 eval "echo 0 2>/dev/null > '$dir/run'" &&
		cat "$dir/run" > "$tmp/perf" &&
		sed 's/^/# /' "$tmp/perf" && grep -q 'MBytes/s' "$tmp/perf"
}

perf_tests() {
	if ! mod_load ntb_perf total_order="$perf_order" use_dma=0; then
		fail "load ntb_perf"
		return
	fi
	check "ntb_perf: $dev_a -> $dev_b" perf_run "$dev_a"
	check "ntb_perf: $dev_b -> $dev_a" perf_run "$dev_b"
	mod_unload ntb_perf
}

# Mainline's ntb_test.sh, with modprobe redirected to the build tree.
mainline_tests() {
	local ntb_test=$here/../../../ntb/ntb_test.sh rc start current line

	[ -f "$ntb_test" ] ||
		ntb_test=${kbuild:+$kbuild/source/tools/testing/selftests/ntb/ntb_test.sh}
	if [ -z "$ntb_test" ] || [ ! -f "$ntb_test" ]; then
		fail "ntb_test.sh not found"
		return
	fi
	if [ -n "$kbuild" ]; then
		mkdir -p "$tmp/bin"
		cat > "$tmp/bin/modprobe" <<-EOF
		#!/bin/bash
		if [ "\$1" = -r ]; then
		    [ -d "/sys/module/\$2" ] && exec rmmod "\$2"
		    exit 1
		fi
		name=\$1
		shift
		ko=\$(find "$kbuild/drivers/ntb" "$kbuild/drivers/net" \\
			 -name "\$name.ko" | head -n 1)
		[ -n "\$ko" ] && exec insmod "\$ko" "\$@"
		exit 1
		EOF
		chmod +x "$tmp/bin/modprobe"
	fi

	# Each line of its output, with the seconds elapsed.
	start=$SECONDS
	PATH=$tmp/bin:$PATH bash "$ntb_test" -p "$perf_order" "$dev_a" "$dev_b" 2>&1 |
		while IFS= read -r line; do
			printf '%d|%s\n' $((SECONDS - start)) "$line"
		done > "$tmp/ntb_test.log"
	rc=${PIPESTATUS[0]}
	echo "# ntb_test.sh: exit $rc in $((SECONDS - start)) s"

	current=
	while IFS= read -r line; do
		printf '# %3ds %s\n' "${line%%|*}" "${line#*|}"
		line=${line#*|}
		case $line in
		"Running "*)
			[ -n "$current" ] && fail "ntb_test.sh: $current"
			current=${line#Running }
			;;
		"  Passed")
			[ -n "$current" ] && ok "ntb_test.sh: $current"
			current=
			;;
		"  Unsupported")
			[ -n "$current" ] && fail "ntb_test.sh: $current (unsupported)"
			current=
			;;
		*"Not doing MSI tests"*)
			skip "ntb_test.sh: MSI tests (ntb_hw_sim has no NTB_MSI support)"
			;;
		esac
	done < "$tmp/ntb_test.log"
	if [ -n "$current" ]; then
		fail "ntb_test.sh: $current"
	elif [ "$rc" != 0 ]; then
		fail "ntb_test.sh exited with $rc"
	fi
	mod_unload $modules
}

# --- The simulator's own behaviour, through ntb_tool -----------------------

# in_region ADDR SIZE: the range lies in the region ntb_hw_sim requested.
in_region() {
	local line lo hi

	while IFS= read -r line; do
		case $line in
		*" : ntb_hw_sim")
			line=${line%% : *}
			lo=0x${line##* }
			lo=${lo%-*}
			hi=0x${line##*-}
			[ "$(($1))" -ge "$((lo))" ] &&
				[ "$(($1 + $2 - 1))" -le "$((hi))" ] && return 0
			;;
		esac
	done < /proc/iomem
	return 1
}

sim_tests() {
	local ta=$1 tb=$2 bus size phys valid bad before db0 db1

	# Window 1 of b, as a seen by b (bus) and by a (CPU physical).
	echo 65536 > "$tb/peer0/mw_trans1"
	field bus "$tb/peer0/mw_trans1" "DMA Address"
	field size "$tb/peer0/mw_trans1" "Window Size"
	echo "${bus:-0}:$((${size:-0}))" > "$ta/peer0/peer_mw_trans1"
	field phys "$ta/peer0/peer_mw_trans1" "Phys Address"
	echo "# mw1 of $dev_b: bus address ${bus:-?}, $dev_a maps it at ${phys:-?}"
	check "sim: a window's bus address is not its CPU physical address" \
		test -n "${bus:-}" -a -n "${phys:-}" -a "$((bus))" != "$((phys))"
	check "sim: outbound windows lie in the reserved region" \
		in_region "${phys:-0}" "${size:-1}"
	echo "${bus:-0}:0" > "$ta/peer0/peer_mw_trans1"
	echo 0 > "$tb/peer0/mw_trans1"

	# Doorbell bits outside the valid mask are refused, and ring nothing.
	get valid "$ta/db_valid_mask"
	if [ "$((valid))" = -1 ]; then
		skip "sim: doorbell bits outside the valid mask (all 64 valid)"
		return
	fi
	bad=$(printf '%#x' $((valid + 1)))
	before=$(rejected)
	get db0 "$tb/db"
	check "sim: doorbell bit $bad refused (peer_db)" \
		refused "$ta/peer_db" "s $bad"
	check "sim: doorbell bit $bad refused (db_mask)" \
		refused "$ta/db_mask" "c $bad"
	get db1 "$tb/db"
	check "sim: refused operations are counted" \
		test "$(rejected)" -ge $((before + 2))
	check "sim: a refused doorbell rings nothing" \
		test "$((db0))" = "$((db1))"
}

# --- ntb_transport and ntb_netdev, one end in each namespace ---------------

netdev_of() {
	local n

	for n in /sys/class/net/*; do
		case $(readlink -f "$n/device") in
		*/"$1"/*) echo "${n##*/}"; return 0 ;;
		esac
	done
	return 1
}

carrier() {
	[ "$(ip netns exec "$1" cat "/sys/class/net/$2/carrier" 2>/dev/null)" = "$3" ]
}

carriers() {
	carrier "$ns_a" "$if_a" "$1" && carrier "$ns_b" "$if_b" "$1"
}

ping_b() {
	if command -v ping > /dev/null; then
		ip netns exec "$ns_a" ping -q -c 3 -W 5 $addr_b
	else
		ip netns exec "$ns_a" busybox ping -q -c 3 -W 5 $addr_b
	fi
}

# transfer FILE: send it from a to b over TCP, print the received sha256.
transfer() {
	local srv

	timeout 120 ip netns exec "$ns_b" python3 - "$addr_b" \
		> "$tmp/recv.sum" <<-'EOF' &
	import hashlib, socket, sys
	s = socket.create_server((sys.argv[1], 5202))
	s.settimeout(60)
	c, _ = s.accept()
	c.settimeout(60)
	h = hashlib.sha256()
	while True:
	    b = c.recv(1 << 16)
	    if not b:
	        break
	    h.update(b)
	print(h.hexdigest())
	EOF
	srv=$!

	timeout 120 ip netns exec "$ns_a" python3 - "$addr_b" "$1" <<-'EOF'
	import socket, sys, time
	for i in range(100):
	    try:
	        c = socket.create_connection((sys.argv[1], 5202), timeout=60)
	        break
	    except OSError:
	        time.sleep(0.1)
	with open(sys.argv[2], 'rb') as f:
	    c.sendfile(f)
	c.close()
	EOF
	wait $srv && cat "$tmp/recv.sum"
}

iperf_server() {
	timeout 60 ip netns exec "$ns_b" iperf3 -s -1 -B $addr_b > /dev/null 2>&1 &
	echo $! >> "$tmp/pids"
	busywait 10 eval 'ip netns exec $ns_b cat /proc/net/tcp | grep -q ":1451 .* 0A "'
}

# netdev_up: load ntb_transport and ntb_netdev, and put one end in each
# namespace, addressed and up.
netdev_up() {
	if ! mod_load ntb_transport || ! mod_load ntb_netdev; then
		echo "# cannot load ntb_transport and ntb_netdev"
		return 1
	fi
	busywait 10 eval 'netdev_of $dev_a && netdev_of $dev_b' > /dev/null
	if_a=$(netdev_of "$dev_a")
	if_b=$(netdev_of "$dev_b")
	if [ -z "$if_a" ] || [ -z "$if_b" ]; then
		echo "# no network device on each side"
		return 1
	fi
	echo "# ntb_netdev: $if_a on $dev_a, $if_b on $dev_b"

	ip link set "$if_a" netns "$ns_a" &&
	ip link set "$if_b" netns "$ns_b" &&
	ip -n "$ns_a" addr add $addr_a/24 dev "$if_a" &&
	ip -n "$ns_b" addr add $addr_b/24 dev "$if_b" &&
	ip -n "$ns_a" link set "$if_a" up &&
	ip -n "$ns_b" link set "$if_b" up
}

# stop_background: end the iperf3 runs still going.
stop_background() {
	[ -f "$tmp/pids" ] || return 0
	kill $(cat "$tmp/pids") 2>/dev/null
	wait 2>/dev/null
	rm -f "$tmp/pids"
}

# netdev_tests [quick]: quick is ping, transfers and a link flap without
# traffic, for the profiles other than the full one.
netdev_tests() {
	local quick=${1:-} sum bps client

	ip netns add "$ns_a"
	ip netns add "$ns_b"
	if ! netdev_up; then
		fail "ntb_netdev: a network device on each side, in a namespace"
		ip netns del "$ns_a"
		ip netns del "$ns_b"
		mod_unload ntb_netdev ntb_transport
		return
	fi

	check "ntb_netdev: carrier up on both ends" busywait 20 carriers 1
	check "ntb_netdev: ping across the pair" ping_b

	if [ -n "$quick" ]; then
		head -c $((16 << 20)) /dev/urandom > "$tmp/data"
		sum=$(sha256sum < "$tmp/data")
		sum=${sum%% *}
		check "ntb_netdev: 16 MiB over TCP arrive intact (sha256)" \
			test "$(transfer "$tmp/data")" = "$sum"
		echo N > "$sim/link"
		check "link pulled: carrier down on both ends" busywait 10 carriers 0
		echo Y > "$sim/link"
		check "link plugged back: carrier up on both ends" \
			busywait 20 carriers 1
		check "ntb_netdev: ping after the link flap" ping_b
		check "ntb_netdev: 16 MiB arrive intact after the link flap" \
			test "$(transfer "$tmp/data")" = "$sum"
		ip netns del "$ns_a"
		ip netns del "$ns_b"
		mod_unload ntb_netdev ntb_transport
		return
	fi

	iperf_server
	if timeout 60 ip netns exec "$ns_a" iperf3 -c $addr_b -t "$iperf_time" -J \
		> "$tmp/iperf.json" 2>&1; then
		bps=$(python3 -c 'import json, sys
print(int(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]))' \
			"$tmp/iperf.json")
		echo "# ntb_netdev: iperf3 TCP, 1 stream, ${iperf_time} s:" \
		     "$((${bps:-0} / 1000000)) Mbit/s"
		check "ntb_netdev: iperf3 TCP for ${iperf_time} s" test "${bps:-0}" -gt 0
	else
		sed 's/^/# /' "$tmp/iperf.json"
		fail "ntb_netdev: iperf3 TCP for ${iperf_time} s"
	fi

	head -c $((16 << 20)) /dev/urandom > "$tmp/data"
	sum=$(sha256sum < "$tmp/data")
	sum=${sum%% *}
	check "ntb_netdev: 16 MiB over TCP arrive intact (sha256)" \
		test "$(transfer "$tmp/data")" = "$sum"

	# Pull the cable during a transfer, plug it back.
	iperf_server
	timeout 60 ip netns exec "$ns_a" iperf3 -c $addr_b -t 10 > "$tmp/flap.log" 2>&1 &
	client=$!
	sleep 3
	echo N > "$sim/link"
	check "link pulled under traffic: carrier down on both ends" \
		busywait 10 carriers 0
	sleep 2
	echo Y > "$sim/link"
	check "link plugged back: carrier up on both ends" \
		busywait 20 carriers 1
	if wait $client; then
		ok "ntb_netdev: the TCP stream survives the link flap"
	else
		sed 's/^/# /' "$tmp/flap.log"
		fail "ntb_netdev: the TCP stream survives the link flap"
	fi
	check "ntb_netdev: ping after the link flap" ping_b
	check "ntb_netdev: 16 MiB arrive intact after the link flap" \
		test "$(transfer "$tmp/data")" = "$sum"

	# Unload the clients in the middle of a transfer, and load them again.
	iperf_server
	timeout 60 ip netns exec "$ns_a" iperf3 -c $addr_b -t 10 > /dev/null 2>&1 &
	echo $! >> "$tmp/pids"
	sleep 3
	check "ntb_netdev, ntb_transport: unloaded under traffic" \
		mod_unload ntb_netdev ntb_transport
	stop_background
	check "ntb_netdev: loaded again, one end in each namespace" netdev_up
	check "ntb_netdev: carrier up after the reload" busywait 20 carriers 1
	check "ntb_netdev: ping after the reload" ping_b
	check "ntb_netdev: 16 MiB arrive intact after the reload" \
		test "$(transfer "$tmp/data")" = "$sum"

	ip netns del "$ns_a"
	ip netns del "$ns_b"
	mod_unload ntb_netdev ntb_transport
}

# ntb_transport needs scratchpads, and a locally set translation: it must
# leave an IDT-like pair alone.
transport_refused() {
	if ! mod_load ntb_transport; then
		fail "load ntb_transport"
		return
	fi
	check "ntb_transport: binds no device without scratchpads" \
		test ! -e "/sys/bus/ntb/devices/$dev_a/driver" -a \
		     ! -e "/sys/bus/ntb/devices/$dev_b/driver"
	mod_unload ntb_transport
}

# --- Main ------------------------------------------------------------------

echo "TAP version 13"

if [ "$(id -u)" != 0 ]; then
	echo "# must be run as root"
	exit $ksft_skip
fi
mountpoint -q "$debugfs" || mount -t debugfs none "$debugfs"
if [ ! -r "$sim/info" ]; then
	echo "# no simulated NTB pair: boot with memmap=SIZE\$BASE ntb_hw_sim.mem=SIZE@BASE"
	exit $ksft_skip
fi
for tool in ip iperf3 python3 sha256sum; do
	if ! command -v $tool > /dev/null; then
		echo "# $tool is missing"
		exit $ksft_skip
	fi
done

dev_a=$(sed -n 's/^side 0: \([^ ]*\) .*/\1/p' "$sim/info")
dev_b=$(sed -n 's/^side 1: \([^ ]*\) .*/\1/p' "$sim/info")
echo "# pair0: $dev_a (port 0) and $dev_b (port 1)"
sed 's/^/# /' "$sim/info"

tmp=$(mktemp -d)
trap cleanup EXIT
if ! kmsg_start; then
	echo "# cannot follow the kernel log (/dev/kmsg)"
	exit $ksft_skip
fi

# The NTB bus binds any client to every device: nothing else may be loaded.
mod_unload $modules

get boot_profile "$sim/profile" || boot_profile=
for p in full intel idt; do
	profile=
	if ! check "pair0 replugged as $p" set_profile $p; then
		continue
	fi
	profile=$p

	start=$SECONDS
	tool_tests
	echo "# $profile: ntb_tool: $((SECONDS - start)) s"
	start=$SECONDS
	pingpong_tests
	perf_tests
	echo "# $profile: ntb_pingpong, ntb_perf: $((SECONDS - start)) s"
	start=$SECONDS
	case $profile in
	full)	netdev_tests ;;
	intel)	netdev_tests quick ;;
	idt)	transport_refused ;;
	esac
	echo "# $profile: ntb_transport: $((SECONDS - start)) s"
done
profile=
if [ -n "$boot_profile" ]; then
	check "pair0 replugged as it booted ($boot_profile)" set_profile "$boot_profile"
fi
[ -n "$mainline" ] && mainline_tests

check "no NTB client left bound" \
	test ! -e "/sys/bus/ntb/devices/$dev_a/driver" -a \
	     ! -e "/sys/bus/ntb/devices/$dev_b/driver"
check "no kernel splat after the last step" true

echo "1..$num"
[ $failed = 0 ]

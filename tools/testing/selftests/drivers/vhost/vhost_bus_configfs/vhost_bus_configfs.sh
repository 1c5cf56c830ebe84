#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The vhost bus configfs interface, attribute by attribute, against what
# Documentation/ABI/testing/configfs-vhost promises: the directory of a
# device (client, device_id, vendor_id, features, num_queues, queue_size)
# and the settings directory of vhost_bus_net (mac, mtu, queue_pairs). The
# device is the one vhost_ntb registers for side 1 of a software NTB pair
# (ntb_hw_sim); virtio_ntb with virtio-net on side 0 is its frontend.
#
# Each attribute has a table of values it must refuse, malformed, out of
# range or written at the wrong time (with a client bound, after the
# frontend negotiated, after the device went away), each with the error the
# ABI document gives, and a table of values it must take. A refused write
# must change nothing: every attribute of the device and of its client, the
# device's id in sysfs and the directories are read before and after it,
# and compared. A value taken must read back as written and change nothing
# else.
#
# Any kernel splat fails the step during which it was logged.
#
# Usage: vhost_bus_configfs.sh [-b KBUILD_DIR]
#
# Modules load with modprobe, or with insmod from a kernel build directory
# (-b, or KBUILD_OUTPUT). Without a simulated pair the test is skipped.

set -u
shopt -s nullglob

ksft_skip=4

kbuild=${KBUILD_OUTPUT:-}

while getopts "b:h" opt; do
	case $opt in
	b) kbuild=$OPTARG ;;
	*) sed -n '3,/^$/s/^# \{0,1\}//p' "$0"; exit 2 ;;
	esac
done

export PATH=$PATH:/usr/sbin:/sbin

debugfs=/sys/kernel/debug
configfs=/sys/kernel/config
cfs=$configfs/vhost
sim=$debugfs/ntb_hw_sim/pair0
clients="ntb_netdev ntb_transport ntb_tool ntb_perf ntb_pingpong"
modules="vhost_bus_net vhost_ntb virtio_ntb"
client=vhost_bus_net
tmp=
dev_a=
dev_b=
dir=
sub=
vsys=/nonexistent
initial=
stuck=
printf=
nq=
qs=
state=
err=
val=
num=0
failed=0

# The kernel log checks (kmsg_start, kmsg_check), shared with the other
# driver selftests.
source "$(dirname "$0")/../../../kselftest/kmsg.sh"

# new_splats: print what the kernel reported since the last call, if it
# reported a bug; false then.
new_splats() {
	kmsg_check && return
	sed 's/^/# /' "$KMSG_REPORT"
	return 1
}

# Every result checks the kernel log: a step that splats fails, whatever
# else it saw.
ok() {
	num=$((num + 1))
	if new_splats; then
		echo "ok $num - $*"
	else
		failed=$((failed + 1))
		echo "not ok $num - $* (kernel splat)"
	fi
}

fail() {
	num=$((num + 1))
	failed=$((failed + 1))
	new_splats || set -- "$@" "(kernel splat)"
	echo "not ok $num - $*"
}

check() {
	local what=$1

	shift
	if "$@"; then
		ok "$what"
	else
		fail "$what"
	fi
}

busywait() {
	local end=$((SECONDS + $1))

	shift
	until "$@"; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.1
	done
}

mod_load() {
	local name=$1 ko dep

	shift
	if [ -z "$kbuild" ]; then
		modprobe "$name" "$@"
		return
	fi
	ko=$(find "$kbuild/drivers/virtio" "$kbuild/drivers/vhost" \
		"$kbuild/drivers/net" "$kbuild/drivers/ntb" \
		-name "$name.ko" 2>/dev/null | head -n 1)
	[ -n "$ko" ] || { echo "# no $name.ko in $kbuild"; return 1; }
	# What it needs first, as modprobe would load it.
	for dep in $(modinfo -F depends "$ko" | tr , ' '); do
		[ -d "/sys/module/$dep" ] || mod_load "$dep" || return 1
	done
	insmod "$ko" "$@"
}

mod_unload() {
	local name

	for name; do
		[ -d "/sys/module/$name" ] || continue
		if [ -z "$kbuild" ]; then
			modprobe -r "$name"
		else
			rmmod "$name"
		fi
	done
}

cleanup() {
	set +e
	if [ -n "$stuck" ]; then
		kmsg_stop
		return
	fi
	[ -n "$sub" ] && rmdir "$sub" 2>/dev/null
	[ -n "$dir" ] && rmdir "$dir" 2>/dev/null
	mod_unload $modules
	[ -n "$tmp" ] && rm -rf "$tmp"
	kmsg_stop
}

# --- Reading and writing ---------------------------------------------------

# errname MESSAGE: the name of the error a command's message reports (its
# strerror text), in $err; OK for no message.
errname() {
	case $1 in
	'') err=OK ;;
	*"Invalid argument"*) err=EINVAL ;;
	*"Device or resource busy"*) err=EBUSY ;;
	*"No such device"*) err=ENODEV ;;
	*"File exists"*) err=EEXIST ;;
	*"No such file or directory"*) err=ENOENT ;;
	*"Operation not supported"*) err=EOPNOTSUPP ;;
	*"Directory not empty"*) err=ENOTEMPTY ;;
	*) err="'$1'" ;;
	esac
}

# try CMD...: run CMD; the error it reports, by name, in $err (OK if none).
try() {
	local msg='' rc

	"$@" 2> "$tmp/err"
	rc=$?
	IFS= read -r msg < "$tmp/err"
	errname "$msg"
	[ $rc != 0 ] && [ "$err" = OK ] && err="exit status $rc"
}

# put FILE VALUE: write VALUE, with the escapes of printf's %b ("\n",
# "\x20"), to FILE in one write(). Not with bash's printf: its output is
# line buffered, and "1\n\n" would be two writes.
put() {
	"$printf" '%b' "$2" > "$1"
}

# get FILE: the first line of FILE in $val, or "!" and the name of the
# error reading it; $err is left alone.
get() {
	local msg='' err

	val=
	IFS= read -r val 2> "$tmp/err" < "$1"
	IFS= read -r msg < "$tmp/err"
	if [ -n "$msg" ]; then
		errname "$msg"
		val="!$err"
	fi
}

# snapshot [FILE...]: the state, in $state, one line each: the directories
# under the vhost configfs root, every attribute in them, and the id the
# device shows in sysfs, its modalias and whether a client is bound to it;
# the FILEs named are left out.
snapshot() {
	local f skip

	state=
	for f in "$cfs"/* "$cfs"/*/* "$cfs"/*/*/* \
		 "$vsys/device" "$vsys/vendor" "$vsys/modalias"; do
		for skip; do
			[ "$f" = "$skip" ] && continue 2
		done
		if [ -d "$f" ]; then
			state+="${f#"$cfs"/}/"$'\n'
			continue
		fi
		get "$f"
		case $f in
		"$cfs"/*) state+="${f#"$cfs"/}=$val"$'\n' ;;
		*) state+="sysfs ${f##*/}=$val"$'\n' ;;
		esac
	done
	for skip; do
		[ "$skip" = "$vsys/driver" ] && return
	done
	[ -e "$vsys/driver" ] && state+="sysfs driver"$'\n'
}

# show_change BEFORE AFTER: print the lines of two states that differ.
show_change() {
	local -a a b
	local i

	mapfile -t a <<< "$1"
	mapfile -t b <<< "$2"
	for ((i = 0; i < ${#a[@]} || i < ${#b[@]}; i++)); do
		[ "${a[i]-}" = "${b[i]-}" ] && continue
		echo "# before: ${a[i]-(none)}"
		echo "# after:  ${b[i]-(none)}"
	done
}

# refuse WHAT ERROR CMD...: CMD fails with ERROR and changes nothing.
refuse() {
	local what=$1 want=$2 before got

	shift 2
	snapshot
	before=$state
	try "$@"
	got=$err
	snapshot
	if [ "$got" != "$want" ]; then
		fail "$what: $got, not $want"
	elif [ "$state" != "$before" ]; then
		show_change "$before" "$state"
		fail "$what: $want, but the state changed"
	else
		ok "$what: $want, nothing changed"
	fi
}

# refuse_write FILE ERROR VALUE: writing VALUE (printf %b) to FILE fails
# with ERROR and changes nothing.
refuse_write() {
	refuse "${1#"$cfs"/} '$3'" "$2" put "$1" "$3"
}

# accept FILE VALUE EXPECTED [FILE...]: writing VALUE (printf %b) to FILE
# succeeds, FILE reads back EXPECTED, and nothing else changes but the
# FILEs named (which the value reaches, such as the device's sysfs id).
accept() {
	local file=$1 value=$2 want=$3 before what got

	shift 3
	what="${file#"$cfs"/} '$value'"
	snapshot "$file" "$@"
	before=$state
	try put "$file" "$value"
	if [ "$err" != OK ]; then
		fail "$what: refused with $err"
		return
	fi
	get "$file"
	got=$val
	snapshot "$file" "$@"
	if [ "$got" != "$want" ]; then
		fail "$what: reads back '$got', not '$want'"
	elif [ "$state" != "$before" ]; then
		show_change "$before" "$state"
		fail "$what: taken, but it changed more than ${file##*/}"
	else
		ok "$what: taken, reads back $want"
	fi
}

# reads FILE EXPECTED: FILE reads EXPECTED ("!ERROR" for an error).
reads() {
	get "$1"
	if [ "$val" = "$2" ]; then
		ok "${1#"$cfs"/} reads '$2'"
	else
		fail "${1#"$cfs"/} reads '$val', not '$2'"
	fi
}

# same_as STATE WHAT: the state is STATE, as it was when WHAT.
same_as() {
	snapshot
	if [ "$state" = "$1" ]; then
		ok "every attribute as $2"
	else
		show_change "$1" "$state"
		fail "every attribute as $2"
	fi
}

# table: each line of standard input, "FILE ERROR VALUE" for a value FILE
# (under the device's directory) refuses with ERROR, "FILE = VALUE EXPECTED"
# for a value it takes and reads back as EXPECTED ('' for an empty line).
# Values use printf's %b escapes, and may not contain spaces: "\x20" is one.
table() {
	local file error value want
	local -a follow

	while read -r file error value want; do
		case $file in ''|'#'*) continue ;; esac
		if [ "$error" != = ]; then
			refuse_write "$dir/$file" "$error" "$value"
			continue
		fi
		[ "$want" = "''" ] && want=
		# The device's id in sysfs, and its modalias, follow the ids.
		case $file in
		device_id) follow=("$vsys/device" "$vsys/modalias") ;;
		vendor_id) follow=("$vsys/vendor" "$vsys/modalias") ;;
		*) follow=() ;;
		esac
		accept "$dir/$file" "$value" "$want" "${follow[@]}"
		[ ${#follow[@]} = 0 ] || reads "${follow[0]}" "$want"
	done
}

# --- The device and its frontend -------------------------------------------

# The vhost bus device vhost_ntb registered on side 1.
vhost_dev() {
	local d

	for d in /sys/bus/vhost/devices/*; do
		case $(readlink -f "$d") in
		*/"$dev_b"/*) echo "${d##*/}"; return 0 ;;
		esac
	done
	return 1
}

wait_vhost_dev() {
	local v

	busywait 10 vhost_dev > /dev/null || return 1
	v=$(vhost_dev)
	vsys=/sys/bus/vhost/devices/$v
}

# The virtio device and the network device of the frontend.
frontend_virtio() {
	local v

	for v in /sys/bus/ntb/devices/"$dev_a"/virtio_ntb/virtio*; do
		echo "${v##*/}"
		return 0
	done
	return 1
}

frontend_netdev() {
	local n

	for n in /sys/bus/ntb/devices/"$dev_a"/virtio_ntb/virtio*/net/*; do
		echo "${n##*/}"
		return 0
	done
	return 1
}

# The frontend accepted features, and virtio-net's probe returned.
negotiated() {
	local v

	get "$vsys/features"
	[ "$val" != 0x0000000000000000 ] && [ "${val:0:1}" != "!" ] &&
		v=$(frontend_virtio) && [ -e "/sys/bus/virtio/devices/$v/driver" ] &&
		frontend_netdev > /dev/null
}

reset_done() {
	get "$vsys/features"
	[ "$val" = 0x0000000000000000 ]
}

frontend_reads() {
	local n

	n=$(frontend_netdev) || return 1
	get "/sys/class/net/$n/$1"
	[ "$val" = "$2" ]
}

frontend_queues() {
	local n q

	n=$(frontend_netdev) || return 1
	q=(/sys/class/net/"$n"/queues/rx-*)
	[ ${#q[@]} = "$1" ]
}

local_unicast() {
	[[ $1 =~ ^[0-9a-f]{2}(:[0-9a-f]{2}){5}$ ]] && (((16#${1:0:2} & 3) == 2))
}

# The kernel logged MESSAGE since the last kmsg_check.
logged() {
	dmesg | tail -n 50 | grep -qF "$1"
}

# --- The tests ---------------------------------------------------------------

# mkdir of the device's directory, and of its client's.
dir_tests() {
	refuse "mkdir vhost/nosuchdev (no such parent)" ENODEV mkdir "$cfs/nosuchdev"
	refuse "mkdir vhost/$dev_a (a parent with no vhost bus device)" ENODEV \
		mkdir "$cfs/$dev_a"
	check "mkdir vhost/$dev_b" mkdir "$dir"
	snapshot
	initial=$state
	echo "# defaults:"
	printf '%s' "$state" | sed 's/^/#   /'

	reads "$dir/client" ""
	reads "$dir/features" 0xffffffffffffffff
	get "$vsys/device"
	reads "$dir/device_id" "$val"
	get "$vsys/vendor"
	reads "$dir/vendor_id" "$val"

	refuse "mkdir vhost/$dev_b again" EEXIST mkdir "$dir"
	refuse "mkdir vhost/$dev_b/$client (no client bound)" ENOENT mkdir "$dir/$client"
	refuse "mkdir vhost/$dev_b/nosuch (no client bound)" ENOENT mkdir "$dir/nosuch"
}

# The device's settings, with no client bound. The most queues and entries
# are the defaults, what the transport offers.
device_tests() {
	get "$dir/num_queues"
	nq=$val
	get "$dir/queue_size"
	qs=$val
	echo "# the transport offers $nq queues of $qs entries"

	table <<-EOF
	# Empty, malformed, trailing garbage, negative, overflowing, the
	# reserved 0xffffffff.
	device_id	EINVAL	\n
	device_id	EINVAL	abc
	device_id	EINVAL	1x
	device_id	EINVAL	0x
	device_id	EINVAL	0x1g
	device_id	EINVAL	1.0
	device_id	EINVAL	1\x202
	device_id	EINVAL	1\x20
	device_id	EINVAL	\x201
	device_id	EINVAL	1\n\n
	device_id	EINVAL	1\nx
	device_id	EINVAL	-1
	device_id	EINVAL	-0x1
	device_id	EINVAL	4294967295
	device_id	EINVAL	0xffffffff
	device_id	EINVAL	0xFFFFFFFF
	device_id	EINVAL	4294967296
	device_id	EINVAL	4294967297
	device_id	EINVAL	0x100000000
	device_id	EINVAL	99999999999999999999999
	device_id	=	1	0x0001
	device_id	=	0x1af4\n	0x1af4
	device_id	=	4294967294	0xfffffffe
	device_id	=	0xfffffffe	0xfffffffe
	device_id	=	0	0x0000

	vendor_id	EINVAL	\n
	vendor_id	EINVAL	x
	vendor_id	EINVAL	0x1af4x
	vendor_id	EINVAL	0x1af4\x20
	vendor_id	EINVAL	0x1af4\n\n
	vendor_id	EINVAL	-1
	vendor_id	EINVAL	4294967295
	vendor_id	EINVAL	0xffffffff
	vendor_id	EINVAL	4294967296
	vendor_id	EINVAL	0x100001af4
	vendor_id	=	0x1af4	0x1af4
	vendor_id	=	0xfffffffe\n	0xfffffffe
	vendor_id	=	0	0x0000

	features	EINVAL	\n
	features	EINVAL	x
	features	EINVAL	0x
	features	EINVAL	0x1g
	features	EINVAL	0x1\x20
	features	EINVAL	0x1\n\n
	features	EINVAL	-1
	features	EINVAL	0x10000000000000000
	features	EINVAL	18446744073709551616
	features	=	0	0x0000000000000000
	features	=	0x100000000\n	0x0000000100000000
	features	=	18446744073709551615	0xffffffffffffffff
	features	=	0x1	0x0000000000000001
	features	=	0xffffffffffffffff	0xffffffffffffffff

	# 0, more than the transport offers, and numbers that are 1 or
	# the most once truncated to 32 bits.
	num_queues	EINVAL	\n
	num_queues	EINVAL	0
	num_queues	EINVAL	$((nq + 1))
	num_queues	EINVAL	-1
	num_queues	EINVAL	-$nq
	num_queues	EINVAL	1a
	num_queues	EINVAL	0x
	num_queues	EINVAL	1\x20
	num_queues	EINVAL	4294967296
	num_queues	EINVAL	4294967297
	num_queues	EINVAL	$((4294967296 + nq))
	num_queues	=	1	1
	num_queues	=	0x2\n	2
	num_queues	=	9	9
	num_queues	=	$nq	$nq

	# Not a power of 2, 0, more than the transport offers.
	queue_size	EINVAL	\n
	queue_size	EINVAL	0
	queue_size	EINVAL	3
	queue_size	EINVAL	$((qs - 1))
	queue_size	EINVAL	$((qs + 1))
	queue_size	EINVAL	$((qs * 2))
	queue_size	EINVAL	-$qs
	queue_size	EINVAL	x
	queue_size	EINVAL	$qs\x20
	queue_size	EINVAL	4294967296
	queue_size	EINVAL	4294967298
	queue_size	EINVAL	$((4294967296 + qs))
	queue_size	=	1	1
	queue_size	=	2\n	2
	queue_size	=	0x$(printf %x $((qs / 2)))	$((qs / 2))
	queue_size	=	$qs	$qs
	EOF

	# The sysfs view of the id, and the modalias, follow device_id.
	accept "$dir/device_id" 0x1 0x0001 "$vsys/device" "$vsys/modalias"
	reads "$vsys/device" 0x0001
	get "$vsys/modalias"
	check "the modalias follows device_id ($val)" test "${val#vhost:d00000001v}" != "$val"
	accept "$dir/device_id" 0 0x0000 "$vsys/device" "$vsys/modalias"
	same_as "$initial" "when the directory was made"
}

# The client attribute; binding.
client_tests() {
	local long63 long64

	long63=$(printf 'c%.0s' {1..63})
	long64=${long63}c
	table <<-EOF
	client	ENODEV	nosuch
	client	ENODEV	nosuch\n
	client	ENODEV	$long63
	client	EINVAL	$long64
	client	EINVAL	${client}\x20
	client	EINVAL	\x20${client}
	client	EINVAL	${client}\x20x
	client	EINVAL	${client}\tx
	client	EINVAL	${client}\n\n
	client	EINVAL	${client}\nx
	client	EINVAL	\n\n
	client	=	\n	''
	EOF

	# A client that does not implement the device id refuses it, and a
	# failed bind leaves the id as it was.
	accept "$dir/device_id" 2 0x0002 "$vsys/device" "$vsys/modalias"
	refuse_write "$dir/client" EINVAL "$client"
	accept "$dir/device_id" 0 0x0000 "$vsys/device" "$vsys/modalias"
	# vhost_bus_net needs 9 queues: its probe fails with 8.
	accept "$dir/num_queues" 8 8
	refuse_write "$dir/client" EINVAL "$client"
	accept "$dir/num_queues" "$nq" "$nq"
	same_as "$initial" "when the directory was made"

	# A device with device_id 0 takes the client's.
	accept "$dir/client" "$client\n" "$client" "$dir/device_id" \
		"$vsys/device" "$vsys/modalias" "$vsys/driver"
	reads "$dir/device_id" 0x0001
	check "the device is bound to $client" test -e "$vsys/driver"

	# Nothing changes while a client is bound, not even to the same
	# value.
	table <<-EOF
	client		EBUSY	$client
	client		EBUSY	$client\n
	client		EINVAL	$client\x20
	device_id	EBUSY	0
	device_id	EBUSY	1
	vendor_id	EBUSY	0x1af4
	features	EBUSY	0
	features	EBUSY	0xffffffffffffffff
	num_queues	EBUSY	1
	queue_size	EBUSY	1
	EOF
	refuse "mkdir vhost/$dev_b/nosuch (not the client bound)" ENOENT \
		mkdir "$dir/nosuch"
}

# The client's settings directory, before the frontend negotiated.
settings_tests() {
	local mac

	check "mkdir vhost/$dev_b/$client" mkdir "$sub"
	reads "$sub/mtu" 65535
	reads "$sub/queue_pairs" 4
	get "$sub/mac"
	mac=$val
	check "mac $mac is unicast and locally administered" local_unicast "$mac"

	table <<-EOF
	# Empty, multicast, broadcast, zero, too short or long, malformed,
	# trailing garbage.
	$client/mac		EINVAL	\n
	$client/mac		EINVAL	01:00:00:00:00:01
	$client/mac		EINVAL	03:00:00:00:00:01
	$client/mac		EINVAL	33:33:00:00:00:01
	$client/mac		EINVAL	ff:ff:ff:ff:ff:ff
	$client/mac		EINVAL	00:00:00:00:00:00
	$client/mac		EINVAL	02:00:00:00:00
	$client/mac		EINVAL	02:00:00:00:00:
	$client/mac		EINVAL	02:00:00:00:00:01:02
	$client/mac		EINVAL	02:00:00:00:00:0g
	$client/mac		EINVAL	02:00:00:00:00:01x
	$client/mac		EINVAL	02:00:00:00:00:01\x20
	$client/mac		EINVAL	02:00:00:00:00:01\n\n
	$client/mac		EINVAL	02:00:00:00:00:01\nx
	$client/mac		EINVAL	\x2002:00:00:00:00:01
	$client/mac		EINVAL	020000000001
	$client/mac		EINVAL	2:0:0:0:0:1
	$client/mac		EINVAL	02.00.00.00.00.01
	$client/mac		=	02:00:00:00:00:01	02:00:00:00:00:01
	$client/mac		=	00:11:22:33:44:55\n	00:11:22:33:44:55
	$client/mac		=	02:AB:CD:EF:01:23	02:ab:cd:ef:01:23
	$client/mac		=	$mac	$mac

	# 0, under 68, over 65535, malformed.
	$client/mtu		EINVAL	\n
	$client/mtu		EINVAL	0
	$client/mtu		EINVAL	67
	$client/mtu		EINVAL	65536
	$client/mtu		EINVAL	65604
	$client/mtu		EINVAL	4294967296
	$client/mtu		EINVAL	-1
	$client/mtu		EINVAL	-1500
	$client/mtu		EINVAL	1500x
	$client/mtu		EINVAL	1500\x20
	$client/mtu		EINVAL	1500\n\n
	$client/mtu		EINVAL	0x
	$client/mtu		=	68	68
	$client/mtu		=	1500\n	1500
	$client/mtu		=	0x2328	9000
	$client/mtu		=	65535	65535

	# 0, over 4, malformed, 1 or 4 once truncated to 16 bits.
	$client/queue_pairs	EINVAL	\n
	$client/queue_pairs	EINVAL	0
	$client/queue_pairs	EINVAL	5
	$client/queue_pairs	EINVAL	-1
	$client/queue_pairs	EINVAL	2x
	$client/queue_pairs	EINVAL	2\x20
	$client/queue_pairs	EINVAL	65537
	$client/queue_pairs	EINVAL	65540
	$client/queue_pairs	EINVAL	4294967297
	$client/queue_pairs	=	1	1
	$client/queue_pairs	=	2\n	2
	$client/queue_pairs	=	4	4
	EOF

	# The settings reach the client only while it is bound; they belong
	# to the binding.
	accept "$sub/mtu" 1500 1500
	accept "$dir/client" "\n" "" "$sub/mac" "$sub/mtu" "$sub/queue_pairs" \
		"$vsys/driver"
	reads "$sub/mac" "!ENODEV"
	reads "$sub/mtu" "!ENODEV"
	reads "$sub/queue_pairs" "!ENODEV"
	table <<-EOF
	$client/mac		ENODEV	02:00:00:00:00:01
	$client/mtu		ENODEV	1500
	$client/queue_pairs	ENODEV	1
	EOF
	accept "$dir/client" "$client" "$client" "$sub/mac" "$sub/mtu" \
		"$sub/queue_pairs" "$vsys/driver"
	reads "$sub/mtu" 65535
	reads "$sub/queue_pairs" 4

	# The binding comes back with the client's module.
	check "unload $client with its directories made" mod_unload $client
	reads "$dir/client" ""
	reads "$sub/mtu" "!ENODEV"
	check "load $client again" mod_load $client
	reads "$dir/client" "$client"
	reads "$sub/mtu" 65535
}

# The frontend arrives: what it negotiated stays until it resets.
frontend_tests() {
	local v

	table <<-EOF
	$client/mac		=	02:00:00:00:00:01	02:00:00:00:00:01
	$client/mtu		=	9000	9000
	$client/queue_pairs	=	2	2
	EOF
	if ! echo "$dev_a" > /sys/bus/ntb/drivers/virtio_ntb/bind ||
	   ! busywait 60 negotiated; then
		# A probe that never returns holds the device lock and the
		# RTNL: nothing after it could unbind or unload anything.
		fail "the frontend negotiates and virtio-net's probe returns"
		stuck=1
		return
	fi
	ok "the frontend negotiates and virtio-net's probe returns"
	check "the frontend's MAC address is mac" \
		frontend_reads address 02:00:00:00:00:01
	check "the frontend's MTU is mtu" frontend_reads mtu 9000
	check "the frontend has queue_pairs queue pairs" frontend_queues 2

	table <<-EOF
	$client/mac		EBUSY	02:00:00:00:00:02
	$client/mac		EBUSY	02:00:00:00:00:01
	$client/mtu		EBUSY	1500
	$client/queue_pairs	EBUSY	1
	client			EBUSY	$client
	device_id		EBUSY	1
	num_queues		EBUSY	1
	EOF
	check "the kernel log says why mtu is busy" \
		logged "mtu: the frontend negotiated already"

	# The frontend resets the device: virtio-net unbound.
	v=$(frontend_virtio)
	echo "$v" > /sys/bus/virtio/drivers/virtio_net/unbind
	if ! busywait 30 reset_done; then
		fail "the frontend resets the device"
		return
	fi
	ok "the frontend resets the device"
	accept "$sub/mtu" 1500 1500
	echo "$v" > /sys/bus/virtio/drivers/virtio_net/bind
	check "the frontend negotiates again" busywait 60 negotiated
	check "the frontend's MTU is the new mtu" frontend_reads mtu 1500
	refuse_write "$sub/mtu" EBUSY 9000
}

# Removing the directories.
rmdir_tests() {
	local changed

	refuse "rmdir vhost/$dev_b with its client's directory in it" ENOTEMPTY \
		rmdir "$dir"
	check "rmdir vhost/$dev_b/$client" rmdir "$sub"
	check "rmdir vhost/$dev_b unbinds the client" \
		eval 'rmdir "$dir" && test ! -e "$vsys/driver"'
	check "mkdir vhost/$dev_b again" mkdir "$dir"
	same_as "$initial" "when the directory was first made"

	# Removing the directory gives the device back its settings.
	table <<-EOF
	device_id	=	0x1	0x0001
	vendor_id	=	0x1234	0x1234
	features	=	0xff	0x00000000000000ff
	num_queues	=	16	16
	queue_size	=	64	64
	EOF
	snapshot
	changed=$state
	check "rmdir vhost/$dev_b" rmdir "$dir"
	check "mkdir vhost/$dev_b again" mkdir "$dir"
	same_as "$initial" "when the directory was first made"
	check "the settings were not those of the directory removed" \
		test "$changed" != "$initial"
}

# The transport goes away under the directories: they stay, and answer
# -ENODEV, until they are removed.
gone_tests() {
	local f

	if ! put "$dir/client" "$client" || ! mkdir "$sub"; then
		fail "bind $client and make its directory"
		return
	fi
	# Side 0 is virtio_ntb's: vhost_ntb comes back on side 1 alone.
	check "unload vhost_ntb with the directories made" mod_unload vhost_ntb
	for f in client device_id vendor_id features num_queues queue_size \
		 "$client/mac" "$client/mtu" "$client/queue_pairs"; do
		reads "$dir/$f" "!ENODEV"
	done
	table <<-EOF
	client			ENODEV	$client
	client			ENODEV	\n
	device_id		ENODEV	1
	vendor_id		ENODEV	0x1af4
	features		ENODEV	0xffffffffffffffff
	num_queues		ENODEV	1
	queue_size		ENODEV	1
	$client/mac		ENODEV	02:00:00:00:00:01
	$client/mtu		ENODEV	1500
	$client/queue_pairs	ENODEV	1
	EOF
	refuse "mkdir vhost/$dev_b/$client-2 (the device went away)" ENODEV \
		mkdir "$dir/$client-2"
	check "rmdir vhost/$dev_b/$client" rmdir "$sub"
	check "rmdir vhost/$dev_b" rmdir "$dir"
	refuse "mkdir vhost/$dev_b (the device went away)" ENODEV mkdir "$dir"

	if ! mod_load vhost_ntb || ! wait_vhost_dev; then
		fail "load vhost_ntb again"
		return
	fi
	ok "load vhost_ntb again"
	check "mkdir vhost/$dev_b for the new device" mkdir "$dir"
	same_as "$initial" "when the directory was first made"
}

# --- Main ------------------------------------------------------------------

echo "TAP version 13"

if [ "$(id -u)" != 0 ]; then
	echo "# must be run as root"
	exit $ksft_skip
fi
mountpoint -q "$debugfs" || mount -t debugfs none "$debugfs"
mountpoint -q "$configfs" || mount -t configfs none "$configfs"
if [ ! -r "$sim/info" ]; then
	echo "# no simulated NTB pair: boot with memmap=SIZE\$BASE ntb_hw_sim.mem=SIZE@BASE"
	exit $ksft_skip
fi
if [ ! -d "$cfs" ]; then
	echo "# no vhost bus configfs (CONFIG_VHOST_BUS_CONFIGFS)"
	exit $ksft_skip
fi
for tool in dmesg printf; do
	if ! type -P $tool > /dev/null; then
		echo "# $tool is missing"
		exit $ksft_skip
	fi
done
printf=$(type -P printf)

dev_a=$(sed -n 's/^side 0: \([^ ]*\) .*/\1/p' "$sim/info")
dev_b=$(sed -n 's/^side 1: \([^ ]*\) .*/\1/p' "$sim/info")
echo "# pair0: frontend $dev_a, backend $dev_b"
if [ -n "$(echo "$cfs"/*)" ]; then
	echo "# $cfs is in use"
	exit $ksft_skip
fi

tmp=$(mktemp -d)
trap cleanup EXIT
if ! kmsg_start; then
	echo "# cannot follow the kernel log (/dev/kmsg)"
	exit $ksft_skip
fi

# The NTB bus binds any client to every device: nothing else may be loaded.
mod_unload $clients $modules

# The sequence of Documentation/driver-api/virtio/virtio_ntb_linux.rst,
# then the frontend stays away until frontend_tests.
if mod_load virtio_ntb &&
   echo "$dev_b" > /sys/bus/ntb/drivers/virtio_ntb/unbind &&
   mod_load vhost_ntb &&
   echo "$dev_a" > /sys/bus/ntb/drivers/virtio_ntb/unbind &&
   mod_load $client && wait_vhost_dev; then
	ok "load virtio_ntb, vhost_ntb and $client, with no frontend"
	dir=$cfs/$dev_b
	sub=$dir/$client
	dir_tests
	device_tests
	client_tests
	settings_tests
	frontend_tests
	if [ -n "$stuck" ]; then
		echo "1..$num"
		exit 1
	fi
	rmdir_tests
	gone_tests
	check "rmdir vhost/$dev_b" rmdir "$dir"
else
	fail "load virtio_ntb, vhost_ntb and $client, with no frontend"
fi

check "unload the modules" mod_unload $modules
check "no NTB client left bound" \
	test ! -e "/sys/bus/ntb/devices/$dev_a/driver" -a \
	     ! -e "/sys/bus/ntb/devices/$dev_b/driver"
check "no kernel warning after the last step" true

echo "1..$num"
[ $failed = 0 ]

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# virtio-net over NTB, on a software NTB pair (ntb_hw_sim): virtio_ntb and
# the stock virtio-net on side 0, vhost_ntb and vhost_bus_net on side 1,
# bound through the vhost bus configfs interface, the two network devices
# in two network namespaces. Checks ping, iperf3 TCP in both directions,
# and transfers in both directions checked with SHA-256, on both data
# paths of vhost_bus_net (softirq context, and work items with
# workqueue_data_path=1).
#
# First, ntb_tool on side 1 plays a hostile or dead backend against
# virtio_ntb: a device block beyond the protocol's limits, a window that
# does not exist, a backend that never acknowledges a status write.
#
# With -H, last, with the real backend bound and traffic running, a
# scribbler writes lies through /dev/mem wherever a backend can write in
# the frontend's window: the used rings (an id never given, an id given
# twice, an index that jumps ahead or goes back, a length past the end of
# the buffer) and the device block (NEEDS_RESET; queue counts, queue
# sizes and a configuration length beyond the limits). The frontend must
# say so and stop using the device, and work again, data checked, once
# the backend's client is bound again through configfs.
#
# With -l CYCLES, instead of the data tests: that many cycles of the
# device's life, each under traffic, in an order drawn from SEED (-s,
# default 1): virtio-net unbound and bound again (a frontend reset), the
# backend's client unbound and bound again through configfs, each of the
# three modules unloaded and loaded again, the frontend's NTB device
# unbound and bound again, and the link pulled and plugged back. After
# each, both ends must come back and 1 MiB must cross each way intact;
# at the end, with the modules unloaded, no device, module or
# unreclaimable memory may be left over from the cycles.
#
# Any kernel splat fails the step during which it was logged.
#
# Usage: virtio_ntb.sh [-b KBUILD_DIR] [-t IPERF_SECONDS] [-H]
#                      [-l CYCLES [-s SEED]]
#
# Modules load with modprobe, or with insmod from a kernel build directory
# (-b, or KBUILD_OUTPUT). Without a simulated pair the test is skipped.

set -u

ksft_skip=4

kbuild=${KBUILD_OUTPUT:-}
iperf_time=3
hostile_rings=
cycles=0
seed=1

while getopts "b:t:Hl:s:h" opt; do
	case $opt in
	b) kbuild=$OPTARG ;;
	t) iperf_time=$OPTARG ;;
	H) hostile_rings=1 ;;
	l) cycles=$OPTARG ;;
	s) seed=$OPTARG ;;
	*) sed -n '3,/^$/s/^# \{0,1\}//p' "$0"; exit 2 ;;
	esac
done

case $cycles$seed in
*[!0-9]*) echo "virtio_ntb.sh: -l and -s take a number" >&2; exit 2 ;;
esac

export PATH=$PATH:/usr/sbin:/sbin

debugfs=/sys/kernel/debug
configfs=/sys/kernel/config
sim=$debugfs/ntb_hw_sim/pair0
clients="ntb_netdev ntb_transport ntb_tool ntb_perf ntb_pingpong"
modules="vhost_bus_net vhost_ntb virtio_ntb"
ntb_tool=$debugfs/ntb_tool
ns_a=vntb-a-$$
ns_b=vntb-b-$$
addr_a=192.168.254.1
addr_b=192.168.254.2
addr6_a=fd00:254::1
addr6_b=fd00:254::2
tmp=
vdev=
sum=
if_a=none
if_b=none
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
	[ -n "$tmp" ] && kill $(cat "$tmp/pids" "$tmp/sinks" 2>/dev/null) 2>/dev/null
	wait 2>/dev/null
	[ -w "$sim/link" ] && echo Y > "$sim/link"
	mod_unload ntb_tool
	ip netns del "$ns_a" 2>/dev/null
	ip netns del "$ns_b" 2>/dev/null
	[ -n "$vdev" ] && rmdir "$configfs/vhost/$dev_b" 2>/dev/null
	mod_unload $modules
	[ -n "$tmp" ] && rm -rf "$tmp"
	kmsg_stop
}

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

# netdev_under DIR: the network device below a sysfs device directory.
netdev_under() {
	local n

	for n in "$1"/net/* "$1"/*/net/*; do
		[ -e "$n" ] && { echo "${n##*/}"; return 0; }
	done
	return 1
}

frontend_netdev() {
	netdev_under "/sys/bus/ntb/devices/$dev_a/virtio_ntb"
}

backend_netdev() {
	netdev_under "/sys/bus/vhost/devices/$vdev"
}

carrier() {
	[ "$(ip netns exec "$1" cat "/sys/class/net/$2/carrier" 2>/dev/null)" = "$3" ]
}

carriers() {
	carrier "$ns_a" "$if_a" "$1" && carrier "$ns_b" "$if_b" "$1"
}

# pinger NS ARGS...
pinger() {
	local ns=$1

	shift
	ip netns exec "$ns" ping "$@"
}

ping_b() {
	pinger "$ns_a" -q -c 3 -W 5 $addr_b
}

# transfer FILE FROM_NS TO_NS TO_ADDR [DSTOPTS]: send FILE over TCP, print
# the sha256 of what arrived. With DSTOPTS (IPv6), each packet carries a
# destination options header of that many bytes, a multiple of 8 from 16
# to 512, so that the TCP header and its checksum lie that much further in.
transfer() {
	local srv

	timeout 120 ip netns exec "$3" python3 - "$4" > "$tmp/recv.sum" <<-'EOF' &
	import hashlib, socket, sys
	family = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
	s = socket.create_server((sys.argv[1], 5203), family=family)
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

	timeout 120 ip netns exec "$2" python3 - "$4" "$1" ${5:-0} <<-'EOF'
	import socket, struct, sys, time
	def dstopts(size):
	    # Unknown options the receiver skips (type 0x1e): padding longer
	    # than 7 bytes is refused (RFC 4942).
	    opts, left = b'', size - 2
	    while left:
	        n = min(left, 257)
	        if left - n == 1:
	            n -= 2
	        opts += bytes([0x1e, n - 2]) + bytes(n - 2)
	        left -= n
	    return bytes([0, size // 8 - 1]) + opts
	for i in range(100):
	    try:
	        if int(sys.argv[3]):
	            c = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
	            c.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_DSTOPTS,
	                         dstopts(int(sys.argv[3])))
	            c.settimeout(60)
	            c.connect((sys.argv[1], 5203))
	        else:
	            c = socket.create_connection((sys.argv[1], 5203), timeout=60)
	        break
	    except OSError:
	        time.sleep(0.1)
	with open(sys.argv[2], 'rb') as f:
	    c.sendfile(f)
	c.close()
	EOF
	wait $srv && cat "$tmp/recv.sum"
}

# iperf NAME [iperf3 client args]: a TCP run from a to b; prints Mbit/s.
iperf() {
	local name=$1 bps

	shift
	timeout 60 ip netns exec "$ns_b" iperf3 -s -1 -B $addr_b > /dev/null 2>&1 &
	echo $! >> "$tmp/pids"
	busywait 10 eval 'ip netns exec $ns_b cat /proc/net/tcp | grep -q ":1451 .* 0A "'
	if ! timeout 60 ip netns exec "$ns_a" iperf3 -c $addr_b \
		-t "$iperf_time" -J "$@" > "$tmp/iperf.json" 2>&1; then
		sed 's/^/# /' "$tmp/iperf.json"
		fail "$name"
		return
	fi
	bps=$(python3 -c 'import json, sys
print(int(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]))' \
		"$tmp/iperf.json")
	echo "# $name: $((${bps:-0} / 1000000)) Mbit/s"
	check "$name" test "${bps:-0}" -gt 0
}

# ethstat NS IFACE NAME: one ethtool -S counter (there may be no ethtool).
ethstat() {
	ip netns exec "$1" python3 - "$2" "$3" <<-'EOF'
	import array, fcntl, socket, struct, sys
	SIOCETHTOOL, GSSET_INFO, GSTRINGS, GSTATS, SS_STATS = 0x8946, 0x37, 0x1b, 0x1d, 1
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	def call(data):
	    buf = array.array('B', data)
	    ifr = struct.pack('16sP', sys.argv[1].encode(), buf.buffer_info()[0])
	    fcntl.ioctl(s.fileno(), SIOCETHTOOL, ifr)
	    return buf.tobytes()
	info = call(struct.pack('IIQI', GSSET_INFO, 0, 1 << SS_STATS, 0))
	n = struct.unpack_from('I', info, 16)[0]
	raw = call(struct.pack('III', GSTRINGS, SS_STATS, n) + bytes(32 * n))
	names = [raw[12 + 32 * i:44 + 32 * i].split(b'\0')[0].decode() for i in range(n)]
	raw = call(struct.pack('II', GSTATS, n) + bytes(8 * n))
	print(dict(zip(names, struct.unpack_from('%dQ' % n, raw, 8)))[sys.argv[2]])
	EOF
}

# channels NS IFACE N: use N queue pairs (ethtool -L IFACE combined N).
channels() {
	ip netns exec "$1" python3 - "$2" "$3" <<-'EOF'
	import array, fcntl, socket, struct, sys
	SIOCETHTOOL, GCHANNELS, SCHANNELS = 0x8946, 0x3c, 0x3d
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	def call(data):
	    buf = array.array('B', data)
	    ifr = struct.pack('16sP', sys.argv[1].encode(), buf.buffer_info()[0])
	    fcntl.ioctl(s.fileno(), SIOCETHTOOL, ifr)
	    return buf.tobytes()
	ch = list(struct.unpack('9I', call(struct.pack('9I', GCHANNELS, *[0] * 8))))
	ch[0], ch[8] = SCHANNELS, int(sys.argv[2])
	call(struct.pack('9I', *ch))
	EOF
}

# bind_client: bind vhost_bus_net to the device vhost_ntb registered.
bind_client() {
	busywait 10 vhost_dev > /dev/null || return 1
	vdev=$(vhost_dev)
	mkdir "$configfs/vhost/$dev_b" &&
	echo vhost_bus_net > "$configfs/vhost/$dev_b/client"
}

setup() {
	mod_load virtio_ntb || return 1
	# The NTB bus gave both sides to virtio_ntb: side 1 is the backend.
	echo "$dev_b" > /sys/bus/ntb/drivers/virtio_ntb/unbind || return 1
	mod_load vhost_ntb || return 1
	mod_load vhost_bus_net || return 1
	bind_client
}

# ends_up: move whichever end (re)appeared in this namespace into its own
# and configure it, then wait for both carriers.
ends_up() {
	local n

	busywait 30 eval 'ip -n $ns_a link show $if_a > /dev/null 2>&1 ||
			  frontend_netdev > /dev/null' || return 1
	busywait 30 eval 'ip -n $ns_b link show $if_b > /dev/null 2>&1 ||
			  backend_netdev > /dev/null' || return 1
	if n=$(frontend_netdev); then
		if_a=$n
		ip link set "$if_a" netns "$ns_a" &&
		ip -n "$ns_a" addr add $addr_a/24 dev "$if_a" &&
		ip -n "$ns_a" link set "$if_a" up || return 1
	fi
	if n=$(backend_netdev); then
		if_b=$n
		ip link set "$if_b" netns "$ns_b" &&
		ip -n "$ns_b" addr add $addr_b/24 dev "$if_b" &&
		ip -n "$ns_b" link set "$if_b" up || return 1
	fi
	echo "# frontend $if_a, backend $if_b"
	busywait 30 carriers 1
}

# background_traffic [SECONDS]: iperf3 from a to b, until stop_traffic,
# flowing for SECONDS (default 2) once connected.
background_traffic() {
	timeout 60 ip netns exec "$ns_b" iperf3 -s -1 -B $addr_b > /dev/null 2>&1 &
	echo $! >> "$tmp/pids"
	busywait 10 eval 'ip netns exec $ns_b cat /proc/net/tcp | grep -q ":1451 .* 0A "'
	timeout 60 ip netns exec "$ns_a" iperf3 -c $addr_b -t 30 > /dev/null 2>&1 &
	echo $! >> "$tmp/pids"
	busywait 10 eval 'ip netns exec $ns_a cat /proc/net/tcp | grep -q ":1451 01 "'
	sleep "${1:-2}"
}

stop_traffic() {
	local pids

	pids=$(cat "$tmp/pids")
	kill $pids 2>/dev/null
	wait $pids 2>/dev/null
	: > "$tmp/pids"
}

# ntb_stat DRIVER DEVICE NAME: a counter of DRIVER's debugfs stats file.
ntb_stat() {
	sed -n "s/^$3 //p" "$debugfs/$1/$2/stats"
}

recovers() {
	check "$1: both ends come back" ends_up
	check "$1: ping" ping_b
	check "$1: 16 MiB arrive intact" \
		test "$(transfer "$tmp/data" "$ns_a" "$ns_b" $addr_b)" = "$sum"
}

# corrupt_ring: the frontend's receive queues say more buffers are
# available than their rings hold. The driver rings are in the backend's
# window, where the driver block (at its start) says: queue q's entry is
# 0x40 + 32 q, its driver ring address 8 bytes into it, a window number in
# bits 63:48 and an offset; the ring's index is 2 bytes into the ring.
# Receive queue q is queue 2q.
corrupt_ring() {
	python3 - "$sim/info" <<-'EOF'
	import os, re, struct, sys
	info = open(sys.argv[1]).read().split('side 1:')[1]
	for phys, xlat in re.findall(r'mw\d+: phys (\S+) .* xlat \S+\+(\S+)', info):
	    if int(xlat, 16):
	        break
	phys = int(phys, 16)
	fd = os.open('/dev/mem', os.O_RDWR | os.O_SYNC)
	for q in range(4):
	    ring = struct.unpack('<Q', os.pread(fd, 8, phys + 0x40 + 64 * q + 8))[0]
	    if ring >> 48 != 2:
	        sys.exit('# receive queue %d: driver ring %#x not in the backend'
	                 ' window' % (q, ring))
	    addr = phys + (ring & (1 << 48) - 1) + 2
	    idx = struct.unpack('<H', os.pread(fd, 2, addr))[0]
	    os.pwrite(fd, struct.pack('<H', (idx + 0x4000) & 0xffff), addr)
	    print('# receive queue %d: avail index %d at %#x' % (q, idx, addr))
	EOF
}

# mtu_tests: the frontend takes the MTU the device offers; both ends
# change it, and packets of exactly the MTU pass unfragmented.
mtu_tests() {
	local mtu

	mtu=$(ip -n "$ns_a" -o link show "$if_a" | sed -n 's/.* mtu \([0-9]*\) .*/\1/p')
	echo "# frontend MTU ${mtu:-?}"
	check "MTU: the frontend takes the offered 65535" test "${mtu:-0}" = 65535
	check "MTU: more than offered is refused" \
		eval '! ip -n $ns_a link set $if_a mtu 65536 2> /dev/null'
	for mtu in 1500 9000 65535; do
		ip -n "$ns_a" link set "$if_a" mtu $mtu &&
		ip -n "$ns_b" link set "$if_b" mtu $mtu
		check "MTU $mtu: a ping of exactly $mtu bytes, not fragmented" \
			pinger "$ns_a" -q -c 2 -W 5 -M do -s $((mtu - 28)) $addr_b
		check "MTU $mtu: one byte more is refused" \
			eval '! pinger $ns_a -q -c 1 -W 2 -M do -s $((mtu - 27)) \
				$addr_b > /dev/null 2>&1'
	done
	check "MTU 1500: 16 MiB backend to frontend arrive intact" \
		eval 'ip -n $ns_a link set $if_a mtu 1500 &&
		      ip -n $ns_b link set $if_b mtu 1500 &&
		      test "$(transfer "$tmp/data" "$ns_b" "$ns_a" $addr_a)" = "$sum"'
	ip -n "$ns_a" link set "$if_a" mtu 65535
	ip -n "$ns_b" link set "$if_b" mtu 65535
}

ring_tests() {
	local msg='broken ring, device needs reset'
	local before

	before=$(dmesg | grep -c "$msg")
	# Keep the frontend from touching its rings, then lie in one.
	ip -n "$ns_a" link set "$if_a" down
	if ! corrupt_ring; then
		fail "corrupted ring: write the frontend's ring"
		return
	fi
	# Something to send makes the backend read the ring.
	pinger "$ns_b" -q -c 3 -W 1 $addr_a > /dev/null 2>&1
	check "corrupted ring: the device needs a reset" \
		busywait 20 eval 'test "$(dmesg | grep -c "$msg")" -gt "$before"'
	recovers "corrupted ring"
}

data_tests() {
	local q0 q1 vdir wq mark

	ip netns add "$ns_a"
	ip netns add "$ns_b"
	check "both ends up" ends_up
	check "ping from the frontend to the backend" ping_b

	iperf "iperf3 TCP, frontend to backend, ${iperf_time} s"
	iperf "iperf3 TCP, backend to frontend, ${iperf_time} s" -R

	head -c $((16 << 20)) /dev/urandom > "$tmp/data"
	sum=$(sha256sum < "$tmp/data")
	sum=${sum%% *}
	check "16 MiB frontend to backend arrive intact (sha256)" \
		test "$(transfer "$tmp/data" "$ns_a" "$ns_b" $addr_b)" = "$sum"
	check "16 MiB backend to frontend arrive intact (sha256)" \
		test "$(transfer "$tmp/data" "$ns_b" "$ns_a" $addr_a)" = "$sum"
	echo "# backend: $(tr '\n' ' ' < "$debugfs/vhost_ntb/$dev_b/stats")"
	echo "# frontend: $(tr '\n' ' ' < "$debugfs/virtio_ntb/$dev_a/stats")"
	check "the backend read nothing across the link" \
		test "$(ntb_stat vhost_ntb "$dev_b" reads_across)" = 0
	check "each side wrote 16 MiB across the link" \
		eval 'test "$(ntb_stat vhost_ntb "$dev_b" bytes_to_peer)" -ge $((16 << 20)) &&
		      test "$(ntb_stat virtio_ntb "$dev_a" bytes_to_peer)" -ge $((16 << 20))'

	# The checksum past the first 256 bytes: an extension header of 512.
	ip -n "$ns_a" addr add $addr6_a/64 dev "$if_a" nodad
	ip -n "$ns_b" addr add $addr6_b/64 dev "$if_b" nodad
	check "16 MiB over IPv6 with 512-byte destination options arrive intact" \
		test "$(transfer "$tmp/data" "$ns_a" "$ns_b" $addr6_b 512)" = "$sum"

	# Eight flows from the backend spread over the queue pairs.
	check "the frontend uses two queue pairs" channels "$ns_a" "$if_a" 2
	iperf "iperf3 TCP, backend to frontend, 8 streams" -R -P 8
	q0=$(ethstat "$ns_b" "$if_b" q0_to_frontend_packets)
	q1=$(ethstat "$ns_b" "$if_b" q1_to_frontend_packets)
	echo "# packets to the frontend: pair 0 ${q0:-?}, pair 1 ${q1:-?}"
	check "traffic on two queue pairs" test "${q0:-0}" -gt 0 -a "${q1:-0}" -gt 0
	echo "# from the frontend, pair 0:" \
	     "$(ethstat "$ns_b" "$if_b" q0_from_frontend_packets) packets," \
	     "$(ethstat "$ns_b" "$if_b" q0_from_frontend_copies) copies," \
	     "$(ethstat "$ns_b" "$if_b" q0_from_frontend_kicks) kicks"

	mtu_tests
	ring_tests

	# Pull the cable under traffic, plug it back.
	background_traffic
	echo N > "$sim/link"
	check "link down: the backend's carrier goes off" \
		busywait 20 carrier "$ns_b" "$if_b" 0
	check "link down: the frontend's device goes away" \
		busywait 20 eval '! ip -n $ns_a link show $if_a > /dev/null 2>&1'
	stop_traffic
	echo Y > "$sim/link"
	recovers "link flap"

	# The frontend resets the device under traffic: unbind virtio-net.
	background_traffic
	vdir=$(readlink -f /sys/bus/ntb/devices/"$dev_a"/virtio_ntb/virtio*)
	echo "${vdir##*/}" > /sys/bus/virtio/drivers/virtio_net/unbind
	check "frontend reset: the backend's carrier goes off" \
		busywait 20 carrier "$ns_b" "$if_b" 0
	stop_traffic
	echo "${vdir##*/}" > /sys/bus/virtio/drivers/virtio_net/bind
	recovers "frontend reset"

	# Unload and reload each side under traffic.
	background_traffic
	mod_unload virtio_ntb
	stop_traffic
	mod_load virtio_ntb
	recovers "virtio_ntb reload"

	background_traffic
	mod_unload vhost_bus_net
	stop_traffic
	mod_load vhost_bus_net
	recovers "vhost_bus_net reload"

	# The data path of a transport whose copies may sleep: work items.
	# vhost_ntb's may not, so its softirq data path ran so far.
	wq="vhost_bus_net workqueue_data_path=1"
	background_traffic
	mod_unload vhost_bus_net
	stop_traffic
	mark=$(log_mark)
	mod_load vhost_bus_net workqueue_data_path=1
	recovers "$wq"
	check "$wq: the data path runs in work items" \
		logged "$mark" "data path in work items"
	check "$wq: 16 MiB backend to frontend arrive intact" \
		test "$(transfer "$tmp/data" "$ns_b" "$ns_a" $addr_a)" = "$sum"
	iperf "$wq: iperf3 TCP, backend to frontend, ${iperf_time} s" -R
	background_traffic
	mod_unload vhost_bus_net
	stop_traffic
	mark=$(log_mark)
	mod_load vhost_bus_net
	recovers "vhost_bus_net reload, softirq data path"
	check "the data path runs in softirq context again" \
		logged "$mark" "data path in softirq context"

	# The backend's NTB device goes away under traffic with the client
	# bound; the configfs directory outlives it, and holds vhost_ntb.
	background_traffic
	echo "$dev_b" > /sys/bus/ntb/drivers/vhost_ntb/unbind
	check "vhost_ntb unbound: the frontend's device goes away" \
		busywait 20 eval '! ip -n $ns_a link show $if_a > /dev/null 2>&1'
	stop_traffic
	check "vhost_ntb unbound: its configfs directory answers -ENODEV" \
		eval '! echo vhost_bus_net 2> /dev/null > $configfs/vhost/$dev_b/client'
	rmdir "$configfs/vhost/$dev_b"
	vdev=
	check "vhost_ntb unload" mod_unload vhost_ntb
	check "vhost_ntb reload, bind the client" \
		eval 'mod_load vhost_ntb && bind_client'
	recovers "vhost_ntb reload"
}

# --- A hostile backend ------------------------------------------------------

# hostile CMD ARGS: ntb_tool on side 1 as a backend (virtio_ntb.rst).
#   hello WINDOW    handshake, announcing the scratchpad WINDOW
#   publish NUM_QUEUES CONFIG_LEN
#                   a virtio-net device block, device id last, and a doorbell
#   withdraw        device id 0, and a doorbell
hostile() {
	python3 - "$ntb_tool/$dev_b" "$sim/info" "$@" <<-'EOF'
	import os, random, re, struct, sys, time
	tool, info, cmd, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
	MAGIC = 0x564e5442
	def rd(name):
	    return int(open(os.path.join(tool, name)).read(), 0)
	def wr(name, val):
	    with open(os.path.join(tool, name), 'w') as f:
	        f.write(str(val))
	def wait(cond):
	    end = time.time() + 10
	    while time.time() < end:
	        if cond():
	            return True
	        time.sleep(0.05)
	    return False
	def ring():
	    wr('peer_db', 's 0x1')
	def devblk():
	    # The frontend's window, as its WINDOW scratchpad names it.
	    widx = rd('spad4') & 0xff
	    side0 = open(info).read().split('side 1:')[0]
	    phys = int(re.search(r'mw%d: phys (\S+)' % widx, side0).group(1), 16)
	    return os.open('/dev/mem', os.O_RDWR | os.O_SYNC), phys
	if cmd == 'hello':
	    if not wait(lambda: rd('spad0') == MAGIC):
	        sys.exit('# no frontend announcement')
	    valid = rd('db_valid_mask')
	    bits = 0
	    while bits < 64 and valid & (1 << bits):
	        bits += 1
	    session = random.randrange(1, 1 << 32)
	    wr('peer0/spad4', int(args[0], 0))
	    wr('peer0/spad1', 2 | 2 << 16 | bits << 24)
	    wr('peer0/spad2', session)
	    wr('peer0/spad3', rd('spad2'))
	    wr('peer0/spad0', MAGIC)
	    ring()
	    if not wait(lambda: rd('spad3') == session):
	        sys.exit('# the frontend did not echo our session')
	    time.sleep(0.5)
	elif cmd == 'publish':
	    fd, phys = devblk()
	    features = 1 << 32 | 1 << 33 | 1 << 36	# VERSION_1, ACCESS_PLATFORM, ORDER_PLATFORM
	    os.pwrite(fd, struct.pack('<II', 0, 2), phys)
	    os.pwrite(fd, struct.pack('<IIQIIIHH', 0, 0, features, 0, 0, 0,
	                              int(args[0]), int(args[1])), phys + 8)
	    os.pwrite(fd, struct.pack('<64H', *[256] * 64), phys + 0x40)
	    os.pwrite(fd, struct.pack('<I', 1), phys + 8)	# virtio-net
	    os.pwrite(fd, struct.pack('<I', MAGIC), phys)
	    ring()
	elif cmd == 'withdraw':
	    fd, phys = devblk()
	    os.pwrite(fd, struct.pack('<I', 0), phys + 8)
	    ring()
	    time.sleep(0.5)
	EOF
}

# log_mark: where the kernel log ends now, for logged.
log_mark() {
	echo $(($(dmesg | wc -l) + 1))
}

# logged MARK MSG: the kernel logged MSG since MARK.
logged() {
	dmesg | tail -n +"$1" | grep -q "$2"
}

frontend_vdev() {
	ls -d /sys/bus/ntb/devices/"$dev_a"/virtio_ntb/virtio* > /dev/null 2>&1
}

hostile_tests() {
	local window=$((16 << 8))	# window 0, 64 KiB
	local refuses='virtio: device refuses features'
	local mark t

	if ! mod_load virtio_ntb ||
	   ! echo "$dev_b" > /sys/bus/ntb/drivers/virtio_ntb/unbind ||
	   ! mod_load ntb_tool || ! echo Y > "$ntb_tool/$dev_b/link"; then
		fail "hostile backend: load virtio_ntb and ntb_tool"
		mod_unload ntb_tool virtio_ntb
		return
	fi

	mark=$(log_mark)
	hostile hello $((window | 200))
	check "hostile backend: a window index past the outbound windows is refused" \
		busywait 10 logged "$mark" "peer window 200: we have"

	hostile hello $window
	hostile publish 65 4
	check "hostile backend: 65 queues are refused" \
		busywait 10 logged "$mark" "device offers 65 queues, more than 64: refused"
	check "hostile backend: no virtio device for 65 queues" eval '! frontend_vdev'

	hostile withdraw
	hostile publish 3 4096
	check "hostile backend: a 4096-byte configuration is refused" \
		busywait 10 logged "$mark" "configuration of 4096 bytes, more than 256: refused"
	check "hostile backend: no virtio device for it" eval '! frontend_vdev'

	# A device that never acknowledges: one timeout, not one per write.
	hostile withdraw
	mark=$(log_mark)
	hostile publish 3 12
	check "dead backend: the probe ends after one status timeout" \
		busywait 17 logged "$mark" "$refuses"

	# The same, and the cable is pulled while the frontend waits.
	hostile withdraw
	hostile hello $window
	hostile publish 3 12
	sleep 1
	mark=$(log_mark)
	echo N > "$sim/link"
	sleep 11
	check "dead backend: link down ends the wait for the device" \
		eval '! logged "$mark" "did not acknowledge" && ! frontend_vdev'
	echo 0 > "$ntb_tool/$dev_b/spad0"
	echo Y > "$ntb_tool/$dev_b/link"
	echo Y > "$sim/link"

	# The same, and virtio_ntb is unbound while the frontend waits.
	hostile hello $window
	mark=$(log_mark)
	hostile publish 3 12
	sleep 1
	t=$SECONDS
	echo "$dev_a" > /sys/bus/ntb/drivers/virtio_ntb/unbind
	echo "# unbind during the probe: $((SECONDS - t)) s"
	check "dead backend: unbinding virtio_ntb during a probe takes less than 5 s" \
		test $((SECONDS - t)) -lt 5
	check "dead backend: that probe did run" logged "$mark" "$refuses"

	mod_unload ntb_tool virtio_ntb
}

# --- A hostile backend under traffic ---------------------------------------

# scribble CASE [ARGS]: lie in the frontend's window while the real
# backend drives the device, as a backend that writes whatever it can
# reach would. Where things are comes from the protocol (virtio_ntb.rst):
# the driver block at the start of the backend's window says where each
# queue's rings are, as bus addresses (window number in bits 63:48, 1 for
# the frontend's, 2 for the backend's, and an offset); the device block is
# at the start of the frontend's window. Each window is the one of its
# side that has a translation in ntb_hw_sim's info.
#
#   used-foreign    used id num (never given), index + 1
#   used-twice      the last head the frontend made available, used twice
#   used-ahead      the used index moved past the ring's size
#   used-back       the used index moved back by one
#   used-len MAC    the last receive buffer made available, used with a
#                   length of 4 GiB - 1, holding a UDP datagram from
#                   $addr_b to $addr_a port 5299 for the frontend's MAC
#   needs-reset     NEEDS_RESET in the device block's status
#   queues          65 queues, bad queue sizes and a 4 KiB configuration in
#                   the device block, and NEEDS_RESET
#
# The used-* cases create $tmp/ready once they know where the rings are,
# then lie on every enabled queue, and again each time the backend moved
# the index past their lie (it may overwrite a lie before the frontend
# reads it), until $tmp/stop appears or 60 s have passed; needs-reset and
# queues write once.
scribble() {
	python3 - "$sim/info" "$tmp" "$addr_b" "$addr_a" "$@" <<-'EOF'
	import mmap, os, re, socket, struct, sys, time
	info, tmp, src, dst, case, args = (sys.argv[1], sys.argv[2], sys.argv[3],
	                                   sys.argv[4], sys.argv[5], sys.argv[6:])
	MAGIC, NEEDS_RESET = 0x564e5442, 0x40
	VRING_DESC_F_NEXT, VRING_DESC_F_WRITE = 1, 2
	def window(side):
	    text = open(info).read().split('side %d:' % side)[1].split('side ')[0]
	    for phys, bus, xlat, size in re.findall(
	            r'mw\d+: phys (\S+) bus (\S+) size \S+ xlat (\S+)\+(\S+)', text):
	        if int(size, 16):
	            base = int(phys, 16) + int(xlat, 16) - int(bus, 16)
	            fd = os.open('/dev/mem', os.O_RDWR | os.O_SYNC)
	            return memoryview(mmap.mmap(fd, int(size, 16), offset=base))
	    sys.exit('# side %d has no translated window' % side)
	F, B = window(0), window(1)
	def rd(mv, off, fmt):
	    return mv[off:off + struct.calcsize(fmt)].cast(fmt)[0]
	def wr(mv, off, fmt, val):
	    # One store of the field's width, as a device would write it.
	    mv[off:off + struct.calcsize(fmt)].cast(fmt)[0] = val
	if rd(F, 0, 'I') != MAGIC or rd(B, 0, 'I') != MAGIC:
	    sys.exit('# no device block or driver block in the windows')
	if case == 'needs-reset':
	    wr(F, 0x18, 'I', rd(F, 0x18, 'I') | NEEDS_RESET)
	    sys.exit(0)
	if case == 'queues':
	    wr(F, 0x24, 'H', 65)
	    wr(F, 0x26, 'H', 4096)
	    for q in range(64):
	        wr(F, 0x40 + 2 * q, 'H', 3)
	    wr(F, 0x18, 'I', rd(F, 0x18, 'I') | NEEDS_RESET)
	    sys.exit(0)
	queues = []
	for q in range(64):
	    entry = 0x40 + 32 * q
	    if not rd(B, entry + 0x1a, 'H'):
	        continue
	    desc, avail, used = (rd(B, entry + 8 * i, 'Q') for i in range(3))
	    if desc >> 48 != 2 or avail >> 48 != 2 or used >> 48 != 1:
	        sys.exit('# queue %d: rings in the wrong windows' % q)
	    mask = (1 << 48) - 1
	    queues.append((q, rd(B, entry + 0x18, 'H'), desc & mask,
	                   avail & mask, used & mask))
	if not queues:
	    sys.exit('# no queue enabled')
	def last_head(num, avail):
	    return rd(B, avail + 4 + 2 * ((rd(B, avail + 2, 'H') - 1) % num), 'H')
	def datagram(mac):
	    # virtio_net_hdr_mrg_rxbuf: DATA_VALID, one buffer; then the frame.
	    payload = b'virtio-ntb hostile length'
	    udp = struct.pack('!HHHH', 4242, 5299, 8 + len(payload), 0) + payload
	    ip = bytearray(struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 1,
	                               0x4000, 64, 17, 0, socket.inet_aton(src),
	                               socket.inet_aton(dst)))
	    s = sum(struct.unpack('!10H', ip))
	    s = (s & 0xffff) + (s >> 16)
	    struct.pack_into('!H', ip, 10, ~((s & 0xffff) + (s >> 16)) & 0xffff)
	    eth = bytes.fromhex(mac.replace(':', '')) + bytes.fromhex('020000000001')
	    return (struct.pack('<BBHHHHH', 2, 0, 0, 0, 0, 0, 1) + eth +
	            b'\x08\x00' + bytes(ip) + udp)
	lied = {}
	def lie(q, num, desc, avail, used):
	    idx = rd(F, used + 2, 'H')
	    if lied.get(q) == idx:
	        return
	    lied[q] = idx
	    ring = lambda i: used + 4 + 8 * (i % num)
	    if case == 'used-foreign':
	        wr(F, ring(idx), 'I', num)
	        wr(F, ring(idx) + 4, 'I', 64)
	        lied[q] = (idx + 1) & 0xffff
	        wr(F, used + 2, 'H', lied[q])
	    elif case == 'used-twice':
	        head = last_head(num, avail)
	        for i in range(2):
	            wr(F, ring(idx + i), 'I', head)
	            wr(F, ring(idx + i) + 4, 'I', 0)
	        lied[q] = (idx + 2) & 0xffff
	        wr(F, used + 2, 'H', lied[q])
	    elif case == 'used-ahead':
	        lied[q] = (idx + num + 1) & 0xffff
	        wr(F, used + 2, 'H', lied[q])
	    elif case == 'used-back':
	        lied[q] = (idx - 1) & 0xffff
	        wr(F, used + 2, 'H', lied[q])
	    elif case == 'used-len':
	        head = last_head(num, avail)
	        d = desc + 16 * head
	        addr, flags = rd(B, d, 'Q'), rd(B, d + 12, 'H')
	        # A receive buffer: one descriptor the device writes, ours.
	        if (flags & (VRING_DESC_F_NEXT | VRING_DESC_F_WRITE) !=
	                VRING_DESC_F_WRITE or addr >> 48 != 1):
	            return
	        frame = datagram(args[0])
	        if rd(B, d + 8, 'I') < len(frame):
	            return
	        off = addr & ((1 << 48) - 1)
	        F[off:off + len(frame)] = frame
	        wr(F, ring(idx), 'I', head)
	        wr(F, ring(idx) + 4, 'I', 0xffffffff)
	        lied[q] = (idx + 1) & 0xffff
	        wr(F, used + 2, 'H', lied[q])
	    else:
	        sys.exit('# no case ' + case)
	    lies[0] += 1
	open(os.path.join(tmp, 'ready'), 'w').close()
	end = time.time() + 60
	lies = [0]
	while time.time() < end and not os.path.exists(os.path.join(tmp, 'stop')):
	    for q in queues:
	        lie(*q)
	    time.sleep(0.002)
	print('# %s: %d lies on queues %s' % (case, lies[0],
	                                      ' '.join(str(q[0]) for q in queues)))
	EOF
}

# recovers_short NAME: as recovers, with a shorter transfer (2 MiB).
recovers_short() {
	check "$1: both ends come back" ends_up
	check "$1: ping" ping_b
	check "$1: 2 MiB arrive intact" \
		test "$(transfer "$tmp/short" "$ns_a" "$ns_b" $addr_b)" = "$short_sum"
}

# lie_traffic: a light load in both directions while the scribbler lies,
# so that both the frontend and the scribbler have some CPU left.
lie_traffic() {
	timeout 90 ip netns exec "$ns_b" iperf3 -s -1 -B $addr_b > /dev/null 2>&1 &
	echo $! >> "$tmp/pids"
	busywait 10 eval 'ip netns exec $ns_b cat /proc/net/tcp | grep -q ":1451 .* 0A "'
	timeout 90 ip netns exec "$ns_a" iperf3 -c $addr_b -b 20M -t 80 > /dev/null 2>&1 &
	echo $! >> "$tmp/pids"
	pinger "$ns_b" -q -i 0.2 -c 400 -W 1 $addr_a > /dev/null 2>&1 &
	echo $! >> "$tmp/pids"
}

# start_scribble CASE [ARGS]: the scribbler, in the background, once it
# knows where the rings are.
start_scribble() {
	rm -f "$tmp/stop" "$tmp/ready"
	scribble "$@" &
	scribbler=$!
	busywait 60 test -e "$tmp/ready"
}

stop_scribble() {
	touch "$tmp/stop"
	wait $scribbler
}

# reset_backend: unbind the client through configfs, then bind it again:
# the backend withdraws the device and publishes it anew.
reset_backend() {
	rmdir "$configfs/vhost/$dev_b" || return 1
	vdev=
	check "$1: the frontend's device goes away with the backend's" \
		busywait 10 eval '! ip -n $ns_a link show $if_a > /dev/null 2>&1'
	bind_client
}

# lie_used CASE MSG: lie in the used rings under traffic until the frontend
# logs MSG, then recover by resetting the backend.
lie_used() {
	local name="hostile ring, $1" mark

	mark=$(log_mark)
	if ! start_scribble "$1"; then
		fail "$name: find the rings"
		stop_scribble
		return
	fi
	lie_traffic
	check "$name: the frontend breaks the device ($2)" \
		busywait 40 logged "$mark" "$2"
	stop_scribble
	stop_traffic
	check "$name: recover by rebinding the backend's client" \
		reset_backend "$name"
	recovers_short "$name"
}

# lie_len: a used length past the end of the buffer is cut to it. The
# buffer holds a datagram; it arrives, and virtio-net, which drops a
# packet longer than its buffer, counts no length error.
lie_len() {
	local name="hostile ring, used-len" mac errs srv got

	mac=$(ip -n "$ns_a" -o link show "$if_a" | sed -n 's/.* link\/ether \([^ ]*\) .*/\1/p')
	errs=$(ip netns exec "$ns_a" cat /sys/class/net/"$if_a"/statistics/rx_length_errors)
	timeout 60 ip netns exec "$ns_a" python3 - $addr_a > "$tmp/got" <<-'EOF' &
	import socket, sys
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	s.bind((sys.argv[1], 5299))
	s.settimeout(50)
	print(s.recv(256).decode(errors='replace'))
	EOF
	srv=$!
	if ! start_scribble used-len "$mac"; then
		fail "$name: find the rings"
	else
		lie_traffic
	fi
	wait $srv
	stop_scribble
	got=$(cat "$tmp/got")
	echo "# received: ${got:-nothing}"
	check "$name: the buffer is delivered, cut to its size" \
		test "$got" = "virtio-ntb hostile length"
	check "$name: virtio-net saw no packet longer than its buffer" \
		test "$(ip netns exec "$ns_a" \
			cat /sys/class/net/"$if_a"/statistics/rx_length_errors)" = "$errs"
	stop_traffic
	check "$name: recover by rebinding the backend's client" \
		reset_backend "$name"
	recovers_short "$name"
}

# The backend, bound and under traffic, lies in the frontend's window: in
# the used rings, in the device block. The frontend stops using a device
# that broke the protocol and says so, and works again once the backend
# publishes the device anew; nothing splats meanwhile (each check looks).
hostile_ring_tests() {
	local name mark scribbler short_sum

	head -c $((2 << 20)) /dev/urandom > "$tmp/short"
	short_sum=$(sha256sum < "$tmp/short")
	short_sum=${short_sum%% *}

	lie_used used-foreign "device used a buffer it was not given: "
	lie_used used-twice "device used a buffer it was not given: "
	lie_used used-ahead "device used index moved to "
	lie_used used-back "device used index moved to "
	lie_len

	# A status with NEEDS_RESET: the frontend resets and probes the
	# device again by itself, once the backend rings doorbell bit 0 (a
	# configuration change: its carrier).
	name="hostile device block, NEEDS_RESET"
	background_traffic
	mark=$(log_mark)
	scribble needs-reset
	ip -n "$ns_b" link set "$if_b" down
	ip -n "$ns_b" link set "$if_b" up
	check "$name: the frontend resets the device" \
		busywait 20 logged "$mark" "device needs a reset: probing it again"
	check "$name: the frontend's old network device goes away" \
		busywait 20 eval '! ip -n $ns_a link show $if_a > /dev/null 2>&1'
	stop_traffic
	recovers_short "$name"

	# Queue count and sizes beyond the limits: read again at that
	# probe, and refused; the backend's next publication cures it.
	name="hostile device block, queues"
	background_traffic
	mark=$(log_mark)
	scribble queues
	ip -n "$ns_b" link set "$if_b" down
	ip -n "$ns_b" link set "$if_b" up
	check "$name: the frontend refuses the device" \
		busywait 20 logged "$mark" "device offers 65 queues, more than 64: refused"
	stop_traffic
	check "$name: no virtio device for it" \
		busywait 20 eval '! frontend_vdev'
	check "$name: recover by rebinding the backend's client" \
		reset_backend "$name"
	recovers_short "$name"
}

# --- The device's life, over and over --------------------------------------

# start_sinks: in each namespace, a server that writes the SHA-256 of
# what each connection to port 5204 carried to $tmp/sink-NS, a line per
# connection, and throws away what comes to port 5205 (traffic). Bound
# to any address, it outlives the network devices.
start_sinks() {
	local ns

	for ns in "$ns_a" "$ns_b"; do
		: > "$tmp/sink-$ns"
		ip netns exec "$ns" python3 - "$tmp/sink-$ns" <<-'EOF' &
		import hashlib, socket, sys, threading
		def discard(c):
		    c.settimeout(60)
		    try:
		        while c.recv(1 << 16):
		            pass
		    except OSError:
		        pass
		    c.close()
		def traffic():
		    s = socket.create_server(('', 5205))
		    while True:
		        threading.Thread(target=discard, args=(s.accept()[0],),
		                         daemon=True).start()
		threading.Thread(target=traffic, daemon=True).start()
		s = socket.create_server(('', 5204))
		while True:
		    c, _ = s.accept()
		    c.settimeout(30)
		    h = hashlib.sha256()
		    try:
		        while b := c.recv(1 << 16):
		            h.update(b)
		        out = h.hexdigest()
		    except OSError as e:
		        out = 'error: %s' % e
		    c.close()
		    with open(sys.argv[1], 'a') as f:
		        f.write(out + '\n')
		EOF
		echo $! >> "$tmp/sinks"
	done
	for ns in "$ns_a" "$ns_b"; do
		busywait 30 eval 'ip netns exec $ns cat /proc/net/tcp |
				  grep -q ":1454 .* 0A "' || return 1
	done
}

# sink_send FROM_NS TO_NS TO_ADDR: 1 MiB to the other end's sink, which
# must have received it intact.
sink_send() {
	local sink=$tmp/sink-$2 n

	n=$(wc -l < "$sink")
	timeout 30 ip netns exec "$1" bash -c 'cat "$1" > "/dev/tcp/$2/5204"' \
		- "$tmp/mib" "$3" &&
	busywait 10 eval 'test "$(wc -l < "$sink")" -gt $n' &&
	test "$(sed -n "$((n + 1))p" "$sink")" = "$mib_sum"
}

# sink_traffic: a TCP stream each way and a ping every 10 ms, until
# stop_traffic; cheaper to start than iperf3.
sink_traffic() {
	timeout 60 ip netns exec "$ns_a" bash -c 'cat /dev/zero > "/dev/tcp/$1/5205"' \
		- $addr_b 2> /dev/null &
	echo $! >> "$tmp/pids"
	timeout 60 ip netns exec "$ns_b" bash -c 'cat /dev/zero > "/dev/tcp/$1/5205"' \
		- $addr_a 2> /dev/null &
	echo $! >> "$tmp/pids"
	timeout 60 ip netns exec "$ns_a" ping -q -i 0.01 $addr_b > /dev/null 2>&1 &
	echo $! >> "$tmp/pids"
	sleep 0.5
}

# ping_once: one echo from a to b, within 10 s.
ping_once() {
	busywait 10 pinger "$ns_a" -q -c 1 -W 1 $addr_b > /dev/null 2>&1
}

# frontend_gone: the frontend's network device went away, as it must
# once the backend withdrew the device (ends_up then waits for the new
# one, not for the old one to vanish).
frontend_gone() {
	busywait 20 eval '! ip -n $ns_a link show $if_a > /dev/null 2>&1'
}

# cycle ACTION: one step of the device's life.
cycle() {
	local vdir

	case $1 in
	frontend-reset)
		vdir=$(readlink -f /sys/bus/ntb/devices/"$dev_a"/virtio_ntb/virtio*) &&
		echo "${vdir##*/}" > /sys/bus/virtio/drivers/virtio_net/unbind &&
		echo "${vdir##*/}" > /sys/bus/virtio/drivers/virtio_net/bind
		;;
	client-rebind)
		rmdir "$configfs/vhost/$dev_b" && vdev= && frontend_gone &&
		bind_client
		;;
	frontend-rebind)
		echo "$dev_a" > /sys/bus/ntb/drivers/virtio_ntb/unbind &&
		echo "$dev_a" > /sys/bus/ntb/drivers/virtio_ntb/bind
		;;
	link-flap)
		echo N > "$sim/link" && frontend_gone
		echo Y > "$sim/link"
		;;
	virtio_ntb-reload)
		mod_unload virtio_ntb && mod_load virtio_ntb
		;;
	vhost_bus_net-reload)
		mod_unload vhost_bus_net && frontend_gone &&
		mod_load vhost_bus_net
		;;
	vhost_ntb-reload)
		echo "$dev_b" > /sys/bus/ntb/drivers/vhost_ntb/unbind &&
		rmdir "$configfs/vhost/$dev_b" && vdev= && frontend_gone &&
		mod_unload vhost_ntb && mod_load vhost_ntb && bind_client
		;;
	esac
}

# snapshot: what a cycle must not leave behind, once the modules are out:
# modules, vhost and virtio devices, network devices, and unreclaimable
# slab memory (in KiB, after dropping the caches and shrinking the slab
# caches, which also empties KASAN's quarantine of freed objects).
snapshot() {
	local f

	sync
	echo 3 > /proc/sys/vm/drop_caches
	for f in /sys/kernel/slab/*/shrink; do
		echo 1 > "$f" 2> /dev/null
	done
	echo "modules $(wc -l < /proc/modules)"
	echo "vhost-devices $(ls /sys/bus/vhost/devices | wc -l)"
	echo "virtio-devices $(ls /sys/bus/virtio/devices | wc -l)"
	echo "netdevs $(ls /sys/class/net | wc -l)"
	sed -n 's/^SUnreclaim: *\([0-9]*\) kB$/slab-kib \1/p' /proc/meminfo
}

# elapsed START: seconds since $EPOCHREALTIME was START, to 0.1 s.
elapsed() {
	local now=$EPOCHREALTIME ms

	ms=$(( (${now/./} - ${1/./}) / 100000 ))
	echo "$((ms / 10)).$((ms % 10))"
}

# lifecycle_tests: $cycles cycles drawn from $seed, each under traffic;
# one result per cycle. Three failed cycles in a row end the run.
lifecycle_tests() {
	local actions=(frontend-reset client-rebind frontend-rebind link-flap
		       virtio_ntb-reload vhost_bus_net-reload vhost_ntb-reload)
	local i action bad=0 t0=$SECONDS mib_sum t times up

	ip netns add "$ns_a"
	ip netns add "$ns_b"
	check "both ends up" ends_up
	head -c $((1 << 20)) /dev/urandom > "$tmp/mib"
	mib_sum=$(sha256sum < "$tmp/mib")
	mib_sum=${mib_sum%% *}
	check "1 MiB each way before the first cycle" \
		eval 'start_sinks && sink_send $ns_a $ns_b $addr_b &&
		      sink_send $ns_b $ns_a $addr_a'

	RANDOM=$seed
	for ((i = 1; i <= cycles; i++)); do
		action=${actions[RANDOM % ${#actions[@]}]}
		t=$EPOCHREALTIME
		sink_traffic
		times=$(elapsed "$t")
		cycle "$action" || echo "# cycle $i, $action: a step failed"
		stop_traffic
		times+=" $(elapsed "$t")"
		ends_up > /dev/null && ping_once
		up=$?
		times+=" $(elapsed "$t")"
		if [ $up = 0 ] && sink_send "$ns_a" "$ns_b" $addr_b &&
		   sink_send "$ns_b" "$ns_a" $addr_a; then
			ok "cycle $i, $action: both ends back, 1 MiB each way intact"
			bad=0
		else
			fail "cycle $i, $action: both ends back, 1 MiB each way intact"
			bad=$((bad + 1))
			[ $bad = 3 ] && break
		fi
		echo "# cycle $i: traffic, $action, back, data at $times $(elapsed "$t") s"
	done
	echo "# $((i > cycles ? cycles : i)) cycles in $((SECONDS - t0)) s, seed $seed"
	kill $(cat "$tmp/sinks") 2>/dev/null
	wait $(cat "$tmp/sinks") 2>/dev/null
	: > "$tmp/sinks"
}

# leftovers BEFORE AFTER: compare two snapshots; slab memory may grow by
# 2 MiB (caches that keep their slabs), nothing else may.
leftovers() {
	local what before after

	while read -r what before; do
		after=$(sed -n "s/^$what //p" <<< "$2")
		echo "# $what: $before at the start, $after at the end"
		if [ "$what" = slab-kib ]; then
			check "no unreclaimable memory left over ($((after - before)) KiB)" \
				test $((after - before)) -le 2048
		else
			check "no $what left over" test "$after" -le "$before"
		fi
	done <<< "$1"
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
if [ ! -d "$configfs/vhost" ]; then
	echo "# no vhost bus configfs (CONFIG_VHOST_BUS_CONFIGFS)"
	exit $ksft_skip
fi
for tool in ip iperf3 python3 sha256sum; do
	if ! command -v $tool > /dev/null; then
		echo "# $tool is missing"
		exit $ksft_skip
	fi
done
# The MTU checks set the Don't Fragment bit: iputils ping, not busybox's.
if ! ping -V > /dev/null 2>&1; then
	echo "# ping from iputils is missing"
	exit $ksft_skip
fi

dev_a=$(sed -n 's/^side 0: \([^ ]*\) .*/\1/p' "$sim/info")
dev_b=$(sed -n 's/^side 1: \([^ ]*\) .*/\1/p' "$sim/info")
echo "# pair0: frontend $dev_a, backend $dev_b"

tmp=$(mktemp -d)
trap cleanup EXIT
if ! kmsg_start; then
	echo "# cannot follow the kernel log (/dev/kmsg)"
	exit $ksft_skip
fi

# The NTB bus binds any client to every device: nothing else may be loaded.
mod_unload $clients $modules
[ "$cycles" -gt 0 ] && start=$(snapshot)

hostile_tests

if ! setup; then
	fail "load virtio_ntb, vhost_ntb, vhost_bus_net and bind them"
else
	ok "load virtio_ntb, vhost_ntb, vhost_bus_net and bind them"
	if [ "$cycles" -gt 0 ]; then
		lifecycle_tests
	else
		data_tests
	fi
	[ -n "$hostile_rings" ] && hostile_ring_tests
fi

ip netns del "$ns_a" 2>/dev/null
ip netns del "$ns_b" 2>/dev/null
check "unbind the client" rmdir "$configfs/vhost/$dev_b"
vdev=
check "unload the modules" mod_unload $modules
check "no NTB client left bound" \
	test ! -e "/sys/bus/ntb/devices/$dev_a/driver" -a \
	     ! -e "/sys/bus/ntb/devices/$dev_b/driver"
if [ "$cycles" -gt 0 ]; then
	# Namespaces go away in a work item.
	busywait 10 eval 'test "$(ls /sys/class/net | wc -l)" -le \
		"$(sed -n "s/^netdevs //p" <<< "$start")"'
	leftovers "$start" "$(snapshot)"
fi
check "no kernel warning after the last step" true

echo "1..$num"
[ $failed = 0 ]

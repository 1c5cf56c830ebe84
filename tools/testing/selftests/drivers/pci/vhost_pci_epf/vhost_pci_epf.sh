#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# virtio-net between a root complex and an endpoint, on the software
# endpoint controllers: vhost-pci-epf bound to each controller through
# configfs with vhost_bus_net as its client, virtio-pci-epf and virtio_net
# on the root complex side, each network device in a namespace of its own.
# Checks the link, ping and TCP transfers both ways checked with SHA-256,
# then the lifecycle under the root complex driver: unbind and bind, a
# controller stop and start, virtio_pci_epf and vhost_bus_net reloaded, the
# function unlinked.
#
# After every step the kernel log is read: a step during which the kernel
# reported a bug fails, whatever the step's command returned.
#
# Needs pci_epc_sim.mem= (and the memmap= reserving it) on the kernel
# command line; pci_epc_sim.profiles= picks the controllers. The modules
# come from $KBUILD_OUTPUT when they are not installed.

ksft_skip=4
PATH=$PATH:/usr/sbin:/sbin
CFS=/sys/kernel/config
PARAMS=/sys/module/pci_epc_sim/parameters
RC_DRIVER=/sys/bus/pci/drivers/virtio-pci-epf
TIMEOUT=30
# The function's IDs are the integrator's: these match no other driver.
VENDOR=0x104c
DEVICE=0xb5fe
ADDR_RC=192.168.251.1
ADDR_EP=192.168.251.2
SIZE=4194304

num=0
failed=0
tmp=$(mktemp -d)
ns_rc=vepf-rc-$$
ns_ep=vepf-ep-$$

source "$(dirname "$0")/../../../kselftest/kmsg.sh"

ok() {
	if ! kmsg_check; then
		not_ok_nolog "$* (the kernel reported a bug)"
		sed 's/^/# /' "$KMSG_REPORT"
		return
	fi
	num=$((num + 1))
	echo "ok $num - $*"
}

not_ok_nolog() {
	num=$((num + 1))
	failed=$((failed + 1))
	echo "not ok $num - $*"
}

not_ok() {
	not_ok_nolog "$*"
	kmsg_check || sed 's/^/# /' "$KMSG_REPORT"
}

check() {
	local what=$1

	shift
	if "$@" > "$tmp/out" 2>&1; then
		ok "$what"
	else
		not_ok "$what"
		sed 's/^/# /' "$tmp/out"
	fi
}

busywait() {
	local i

	for ((i = 0; i < TIMEOUT * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

load() {
	local name=$1 path=$2

	grep -q "^$name " /proc/modules && return 0
	modprobe -q "$name" 2>/dev/null && return 0
	[ -n "${KBUILD_OUTPUT:-}" ] || return 1
	case $name in
	virtio_pci_epf) load virtio_wire drivers/virtio/virtio_wire.ko &&
			load virtio_pci_epf_dev drivers/virtio/virtio_pci_epf_dev.ko ;;
	pci_epf_vhost) load vhost_wire drivers/vhost/vhost_wire.ko ;;
	esac || return 1
	insmod "$KBUILD_OUTPUT/$path"
}

cleanup() {
	local c f

	ip netns del "$ns_rc" 2>/dev/null
	ip netns del "$ns_ep" 2>/dev/null
	for c in "$CFS"/pci_ep/controllers/pci-epc-sim.*; do
		[ "$(cat "$c/start" 2>/dev/null)" = 1 ] && echo 0 > "$c/start"
		for f in "$c"/*; do
			[ -L "$f" ] && rm -f "$f"
		done
	done
	for f in "$CFS"/vhost/pci_epf_vhost.*; do
		[ -d "$f" ] && rmdir "$f"
	done
	for f in "$CFS"/pci_ep/functions/pci_epf_vhost/*; do
		[ -d "$f" ] && rmdir "$f"
	done
	rmmod virtio_pci_epf pci_epf_vhost vhost_bus_net 2>/dev/null
	kmsg_stop
	rm -rf "$tmp"
}
trap cleanup EXIT

# The RC-side PCI device of controller $1's function 0.
rc_device() {
	local d

	for d in /sys/devices/platform/"$1"/pci*/*:00:00.0; do
		[ -e "$d/vendor" ] && { echo "$d"; return 0; }
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

# The vhost bus device of the vhost-pci-epf function, one at a time.
vhost_dev() {
	local d

	for d in /sys/bus/vhost/devices/*; do
		case $(basename "$(dirname "$(readlink -f "$d")")") in
		pci_epf_vhost.*) echo "$d"; return 0 ;;
		esac
	done
	return 1
}

# Is virtio-pci-epf the driver of the RC device $1?
rc_bound() {
	[ "$(basename "$(readlink "$1/driver")")" = virtio-pci-epf ]
}

rc_netdev() {
	local rc

	rc=$(rc_device "$1") && netdev_under "$rc"
}

ep_netdev() {
	local v

	v=$(vhost_dev) && netdev_under "$v"
}

# into_ns NS IFACE ADDR: move a network device into NS and bring it up.
into_ns() {
	ip link set "$2" netns "$1" &&
	ip -n "$1" addr add "$3/24" dev "$2" &&
	ip -n "$1" link set "$2" up
}

# The link: both network devices, in their namespaces, carrier on.
link_up() {
	local ctrl=$1 rc ep

	busywait rc_netdev "$ctrl" > /dev/null || { echo "no RC netdev"; return 1; }
	busywait ep_netdev > /dev/null || { echo "no EP netdev"; return 1; }
	rc=$(rc_netdev "$ctrl")
	ep=$(ep_netdev)
	into_ns "$ns_rc" "$rc" $ADDR_RC && into_ns "$ns_ep" "$ep" $ADDR_EP &&
	busywait rc_carrier
}

# The RC's network device in its namespace, carrier on.
rc_carrier() {
	ip netns exec "$ns_rc" sh -c 'for c in /sys/class/net/*/carrier; do
		case $c in */lo/*) continue ;; esac
		grep -qx 1 "$c" 2>/dev/null && exit 0
	done; exit 1'
}

ping_both() {
	ip netns exec "$ns_rc" ping -q -c 3 -W 5 $ADDR_EP &&
	ip netns exec "$ns_ep" ping -q -c 3 -W 5 $ADDR_RC
}

# send FROM_NS TO_NS TO_ADDR: $SIZE random bytes over TCP; the SHA-256 of
# what arrived must be that of what left.
send() {
	local sum

	head -c $SIZE /dev/urandom > "$tmp/data"
	sum=$(sha256sum < "$tmp/data" | cut -d' ' -f1)
	timeout 120 ip netns exec "$2" python3 -c '
import hashlib, socket, sys
s = socket.create_server((sys.argv[1], 5301))
s.settimeout(60)
c, _ = s.accept()
h = hashlib.sha256()
while b := c.recv(1 << 16):
    h.update(b)
print(h.hexdigest())' "$3" > "$tmp/got" &
	local srv=$!
	timeout 120 ip netns exec "$1" python3 -c '
import socket, sys, time
for _ in range(100):
    try:
        c = socket.create_connection((sys.argv[1], 5301), timeout=60)
        break
    except OSError:
        time.sleep(0.1)
c.sendfile(open(sys.argv[2], "rb"))
c.close()' "$3" "$tmp/data" || return 1
	wait $srv && [ "$(cat "$tmp/got")" = "$sum" ]
}

# iperf FROM_NS TO_NS TO_ADDR NAME: a 3 s TCP run, reported in Mbit/s; it
# must move data. Throughput is measured by make bench, not asserted here.
iperf() {
	local bps

	timeout 60 ip netns exec "$2" iperf3 -s -1 -B "$3" > /dev/null 2>&1 &
	busywait eval "ip netns exec $2 ss -ltn | grep -q '$3:5201 '" || return 1
	timeout 60 ip netns exec "$1" iperf3 -c "$3" -t 3 -J > "$tmp/iperf.json" ||
		return 1
	bps=$(python3 -c 'import json, sys
print(int(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]))' \
		"$tmp/iperf.json") || return 1
	echo "# iperf3 TCP $4: $((bps / 1000000)) Mbit/s" >&3
	[ "$bps" -gt 0 ]
}

# The function, the vhost client and the RC driver, from nothing.
setup() {
	local ctrl=$1 fn=$CFS/pci_ep/functions/pci_epf_vhost/$1 epf

	mkdir "$fn" &&
	echo $VENDOR > "$fn/vendorid" &&
	echo $DEVICE > "$fn/deviceid" &&
	ln -s "$fn" "$CFS/pci_ep/controllers/$ctrl/" &&
	echo 1 > "$CFS/pci_ep/controllers/$ctrl/start" || return 1
	busywait vhost_dev > /dev/null || { echo "no vhost device"; return 1; }
	epf=$(basename "$(dirname "$(readlink -f "$(vhost_dev)")")")
	mkdir "$CFS/vhost/$epf" &&
	echo vhost_bus_net > "$CFS/vhost/$epf/client" &&
	echo "$epf" > "$tmp/epf"
}

test_controller() {
	local ctrl=$1 profile=$2 tag="$1 ($2)" epf rc
	local start=$CFS/pci_ep/controllers/$1/start

	ip netns add "$ns_rc" && ip netns add "$ns_ep" || return
	check "$tag: bind vhost-pci-epf with vhost_bus_net and start" setup "$ctrl"
	epf=$(cat "$tmp/epf" 2>/dev/null)
	check "$tag: function enumerated" busywait rc_device "$ctrl"
	rc=$(rc_device "$ctrl")
	# The ID stays in the driver's table for the next controller.
	echo "${VENDOR#0x} ${DEVICE#0x}" > $RC_DRIVER/new_id 2>/dev/null
	check "$tag: virtio-pci-epf bound" busywait rc_bound "$rc"
	check "$tag: link up" link_up "$ctrl"
	check "$tag: ping both ways" ping_both
	check "$tag: $SIZE bytes RC to EP arrive intact" send "$ns_rc" "$ns_ep" $ADDR_EP
	check "$tag: $SIZE bytes EP to RC arrive intact" send "$ns_ep" "$ns_rc" $ADDR_RC
	check "$tag: iperf3 TCP RC to EP" iperf "$ns_rc" "$ns_ep" $ADDR_EP "RC to EP"
	check "$tag: iperf3 TCP EP to RC" iperf "$ns_ep" "$ns_rc" $ADDR_RC "EP to RC"

	# The RC driver unbound and bound again: a new connection.
	check "$tag: unbind virtio-pci-epf" \
		sh -c "echo $(basename "$rc") > $RC_DRIVER/unbind"
	check "$tag: bind virtio-pci-epf again" \
		sh -c "echo $(basename "$rc") > $RC_DRIVER/bind"
	check "$tag: RC netdev back" busywait rc_netdev "$ctrl"
	check "$tag: RC netdev into its namespace" \
		into_ns "$ns_rc" "$(rc_netdev "$ctrl")" $ADDR_RC
	check "$tag: carrier after rebind" busywait rc_carrier
	check "$tag: ping after rebind" ping_both
	check "$tag: data after rebind" send "$ns_rc" "$ns_ep" $ADDR_EP

	# virtio_pci_epf reloaded under a running function.
	check "$tag: unload virtio_pci_epf" rmmod virtio_pci_epf
	check "$tag: reload virtio_pci_epf" \
		load virtio_pci_epf drivers/virtio/virtio_pci_epf.ko
	check "$tag: bind after reload" \
		sh -c "echo ${VENDOR#0x} ${DEVICE#0x} > $RC_DRIVER/new_id"
	check "$tag: RC netdev after reload" busywait rc_netdev "$ctrl"
	check "$tag: RC netdev into its namespace" \
		into_ns "$ns_rc" "$(rc_netdev "$ctrl")" $ADDR_RC
	check "$tag: carrier after reload" busywait rc_carrier
	check "$tag: data after reload" send "$ns_ep" "$ns_rc" $ADDR_RC

	# The controller stopped and started with the RC driver bound: the
	# function leaves the bus and comes back, with a new session.
	check "$tag: stop the controller" sh -c "echo 0 > $start"
	check "$tag: RC device gone" busywait eval '! rc_device $ctrl > /dev/null'
	check "$tag: start the controller" sh -c "echo 1 > $start"
	check "$tag: RC netdev after restart" busywait rc_netdev "$ctrl"
	check "$tag: RC netdev into its namespace" \
		into_ns "$ns_rc" "$(rc_netdev "$ctrl")" $ADDR_RC
	check "$tag: carrier after restart" busywait rc_carrier
	check "$tag: data after restart" send "$ns_rc" "$ns_ep" $ADDR_EP

	# Teardown: the client unbound, the function unlinked while the RC
	# driver is bound.
	check "$tag: unbind the client" rmdir "$CFS/vhost/$epf"
	check "$tag: unlink the function" \
		rm "$CFS/pci_ep/controllers/$ctrl/$ctrl"
	check "$tag: RC device gone after unlink" \
		busywait eval '! rc_device $ctrl > /dev/null'
	check "$tag: stop and remove the function" \
		sh -c "echo 0 > $start && rmdir $CFS/pci_ep/functions/pci_epf_vhost/$ctrl"
	ip netns del "$ns_rc"
	ip netns del "$ns_ep"
}

main() {
	local ctrl i
	local -a profs

	# What a step reports for the log, past check's redirection.
	exec 3>&1

	if [ ! -d "$PARAMS" ] || [ "$(cat $PARAMS/mem)" = "(null)" ]; then
		echo "SKIP: no software endpoint controller (pci_epc_sim.mem=)"
		exit $ksft_skip
	fi
	grep -q configfs /proc/mounts ||
		mount -t configfs none $CFS || exit $ksft_skip
	if ! load pci_epf_vhost drivers/pci/endpoint/functions/pci-epf-vhost.ko ||
	   ! load vhost_bus_net drivers/net/vhost_bus_net.ko ||
	   ! load virtio_pci_epf drivers/virtio/virtio_pci_epf.ko; then
		echo "SKIP: vhost-pci-epf, vhost_bus_net or virtio-pci-epf not available"
		exit $ksft_skip
	fi
	if ! kmsg_start; then
		echo "SKIP: cannot read the kernel log"
		exit $ksft_skip
	fi
	IFS=, read -ra profs < "$PARAMS/profiles"
	echo "TAP version 13"
	for ((i = 0; i < ${#profs[@]}; i++)); do
		ctrl=pci-epc-sim.$i
		if [ ! -d "$CFS/pci_ep/controllers/$ctrl" ]; then
			not_ok "$ctrl (${profs[$i]}): controller in configfs"
			continue
		fi
		test_controller "$ctrl" "${profs[$i]}"
	done
	echo "1..$num"
	echo "# $((num - failed)) passed, $failed failed"
	[ $failed = 0 ]
}

main "$@"

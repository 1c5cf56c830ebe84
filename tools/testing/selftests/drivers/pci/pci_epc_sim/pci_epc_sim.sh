#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The endpoint test pair on the software endpoint controllers: pci-epf-test
# bound to each controller through configfs, pci_endpoint_test on the RC
# side, and tools/pci/pcitest driving the cases of tools/pci/pcitest.sh
# (BARs, INTx, MSI, MSI-X, read, write and copy with and without DMA).
# Then the teardown paths: the controller stopped, the RC driver unloaded
# and the function unlinked while in use, and while pci-epf-test is in the
# middle of a command.
#
# After every step the kernel log is read: a step during which the kernel
# reported a bug (BUG, WARNING, Oops, KASAN, UBSAN, lockdep, a hung task)
# fails, whatever the step's command returned.
#
# Needs pci_epc_sim.mem= (and the memmap= reserving it) on the kernel
# command line; pci_epc_sim.profiles= picks the controllers. The modules
# come from $KBUILD_OUTPUT when they are not installed. PCITEST_FULL=1
# runs every MSI-X vector up to 2048, as pcitest.sh does, instead of a
# sample; it also offers 2048 MSI-X vectors rather than 64, and
# pci_endpoint_test then requests 2048 interrupts in one ioctl, which can
# take longer than the soft lockup threshold under software emulation.

ksft_skip=4
PATH=$PATH:/usr/sbin:/sbin
CFS=/sys/kernel/config/pci_ep
PARAMS=/sys/module/pci_epc_sim/parameters
TIMEOUT=30
SIZES="1 1024 1025 1024000 1024001"
N_MSIX=64
[ -n "${PCITEST_FULL:-}" ] && N_MSIX=2048
# Vendor 0x104c: TI. The J7200 device ID gets pci_endpoint_test's J721E
# settings (256-byte buffer alignment); DRA74x gets its defaults.
declare -A DEVICE_ID=([permissive]=0xb500 [j7200]=0xb00f)

num=0
failed=0
tmp=$(mktemp -d)
fn_made=()

# The kernel log checks (kmsg_start, kmsg_check), shared with the other
# driver selftests.
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

# Fails unless the command fails, and the kernel stays clean.
check_fail() {
	local what=$1
	shift
	if "$@" > "$tmp/out" 2>&1; then
		not_ok "$what"
		sed 's/^/# /' "$tmp/out"
	else
		ok "$what"
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

cleanup() {
	local c f
	for c in "$CFS"/controllers/pci-epc-sim.*; do
		[ "$(cat "$c/start" 2>/dev/null)" = 1 ] && echo 0 > "$c/start"
		for f in "$c"/*; do
			[ -L "$f" ] && rm -f "$f"
		done
	done
	for f in "${fn_made[@]}"; do
		rmdir "$f" 2>/dev/null
	done
	rmmod pci_endpoint_test 2>/dev/null
	rmmod pci_epf_test 2>/dev/null
	kmsg_stop
	rm -rf "$tmp"
}
trap cleanup EXIT

load() {
	local name=$1 path=$2

	grep -q "^$name " /proc/modules && return 0
	modprobe -q "$name" 2>/dev/null && return 0
	[ -n "${KBUILD_OUTPUT:-}" ] && insmod "$KBUILD_OUTPUT/$path"
}

# pcitest from the kernel tree the modules come from, unless installed.
find_pcitest() {
	local src

	PCITEST=$(type -P pcitest) && return 0
	src=${KBUILD_OUTPUT:+$KBUILD_OUTPUT/source}
	[ -f "$src/tools/pci/pcitest.c" ] || return 1
	mkdir -p "$tmp/include/linux"
	cp "$src/include/uapi/linux/pcitest.h" "$tmp/include/linux/"
	gcc -O2 -Wall -D_GNU_SOURCE -I"$tmp/include" -o "$tmp/pcitest" \
		"$src/tools/pci/pcitest.c" || return 1
	PCITEST=$tmp/pcitest
}

# The RC-side device of controller $1's function 0, once enumerated.
rc_device() {
	local d

	for d in /sys/devices/platform/"$1"/pci*/*:00:00.0; do
		[ -d "$d/misc" ] || continue
		ls "$d/misc" | grep -q pci-endpoint-test || continue
		echo "$d"
		return 0
	done
	return 1
}

# The character device of pci_endpoint_test for controller $1, in $DEV.
find_dev() {
	local rc

	DEV=
	busywait rc_device "$1" > /dev/null || return 1
	rc=$(rc_device "$1")
	DEV=/dev/$(ls "$rc/misc" | grep pci-endpoint-test | head -n 1)
	busywait test -c "$DEV"
}

pcitest() {
	"$PCITEST" -D "$DEV" "$@"
}

run_pcitest() {
	local tag=$1 bar m x s n_msix
	local msix_list

	for bar in 0 1 2 3 4 5; do
		check "$tag: BAR$bar" pcitest -b $bar
	done

	check "$tag: set INTx" pcitest -i 0
	check "$tag: INTx" pcitest -l

	check "$tag: set MSI" pcitest -i 1
	for m in $(seq 1 32); do
		check "$tag: MSI$m" pcitest -m $m
	done
	check_fail "$tag: MSI33 is refused" pcitest -m 33

	n_msix=$N_MSIX
	check "$tag: set MSI-X" pcitest -i 2
	if [ -n "${PCITEST_FULL:-}" ]; then
		msix_list=$(seq 1 $n_msix)
	else
		msix_list="1 2 3 4 5 6 7 8 $((n_msix / 2)) $n_msix"
	fi
	for x in $msix_list; do
		check "$tag: MSI-X$x" pcitest -x $x
	done
	check_fail "$tag: MSI-X$((n_msix + 1)) is refused" pcitest -x $((n_msix + 1))

	check "$tag: set MSI for transfers" pcitest -i 1
	for s in $SIZES; do
		check "$tag: read $s" pcitest -r -s $s
		check "$tag: write $s" pcitest -w -s $s
		check "$tag: copy $s" pcitest -c -s $s
	done
	for s in $SIZES; do
		check "$tag: read $s DMA" pcitest -r -d -s $s
		check "$tag: write $s DMA" pcitest -w -d -s $s
		check "$tag: copy $s DMA" pcitest -c -d -s $s
	done
}

# Bind pci-epf-test to controller $1 with profile $2 and start it.
setup_function() {
	local ctrl=$1 profile=$2 fn

	fn=$CFS/functions/pci_epf_test/$ctrl
	mkdir "$fn" || return 1
	fn_made+=("$fn")
	echo 0x104c > "$fn/vendorid" &&
	echo "${DEVICE_ID[$profile]}" > "$fn/deviceid" &&
	echo 1 > "$fn/interrupt_pin" &&
	echo 32 > "$fn/msi_interrupts" &&
	echo $N_MSIX > "$fn/msix_interrupts" &&
	ln -s "$fn" "$CFS/controllers/$ctrl/" &&
	echo 1 > "$CFS/controllers/$ctrl/start"
}

gone() {
	! rc_device "$1" > /dev/null
}

test_controller() {
	local ctrl=$1 profile=$2 rc tag="$1 ($2)"
	local fn=$CFS/functions/pci_epf_test/$1 start=$CFS/controllers/$1/start

	check "$tag: bind and start pci-epf-test" setup_function "$ctrl" "$profile"
	if ! busywait rc_device "$ctrl" > /dev/null; then
		not_ok "$tag: function enumerated on the virtual host bridge"
		return
	fi
	rc=$(rc_device "$ctrl")
	ok "$tag: function enumerated as $(basename "$rc")"
	find_dev "$ctrl" || { not_ok "$tag: pci_endpoint_test device"; return; }

	run_pcitest "$tag"

	# Teardown while the RC driver is bound: stopping the controller
	# takes the function off the bus, and the driver with it.
	check "$tag: stop with the RC driver bound" \
		sh -c "echo 0 > $CFS/controllers/$ctrl/start"
	check "$tag: function gone after stop" busywait gone "$ctrl"
	check "$tag: start again" sh -c "echo 1 > $CFS/controllers/$ctrl/start"
	check "$tag: function back after start" busywait rc_device "$ctrl"
	find_dev "$ctrl" || { not_ok "$tag: pci_endpoint_test device"; return; }
	check "$tag: BAR0 after restart" pcitest -b 0

	# The RC driver unloaded and loaded again under a running function.
	check "$tag: unload pci_endpoint_test" rmmod pci_endpoint_test
	check "$tag: reload pci_endpoint_test" \
		load pci_endpoint_test drivers/misc/pci_endpoint_test.ko
	find_dev "$ctrl" || { not_ok "$tag: pci_endpoint_test device"; return; }
	check "$tag: copy after reload" pcitest -c -s 4096

	# The function unlinked while the controller runs and the RC
	# driver is bound: it leaves the bus as on a hot-unplug.
	check "$tag: unlink the function with the RC driver bound" \
		rm "$CFS/controllers/$ctrl/$ctrl"
	check "$tag: function gone after unlink" busywait gone "$ctrl"
	check "$tag: stop and remove the function" \
		sh -c "echo 0 > $start && rmdir $fn"
	fn_made=("${fn_made[@]/$CFS\/functions\/pci_epf_test\/$ctrl}")
}

# Through BAR0 of the RC device $1 (no driver bound), have pci-epf-test
# copy the first half of BAR5 to the second, and unlink the function at $2
# as soon as pci-epf-test has taken the command, while it copies.
POKE='
import mmap, os, struct, sys, time
dev, link = sys.argv[1], sys.argv[2]
cfg = open(dev + "/config", "rb").read(64)
bar5 = struct.unpack_from("<I", cfg, 0x24)[0] & ~0xf
fd = os.open(dev + "/resource0", os.O_RDWR | os.O_SYNC)
m = mmap.mmap(fd, os.fstat(fd).st_size, mmap.MAP_SHARED)
half = 512 * 1024
# src_addr, dst_addr, size, checksum, irq_type (MSI), irq_number
struct.pack_into("<QQIIII", m, 12, bar5, bar5 + half, half, 0, 1, 1)
struct.pack_into("<I", m, 44, 0)
struct.pack_into("<I", m, 4, 1 << 5)	# COMMAND_COPY
end = time.time() + 10
while struct.unpack_from("<I", m, 4)[0] and time.time() < end:
	pass
taken = not struct.unpack_from("<I", m, 4)[0]
m.close()
os.close(fd)
os.unlink(link)
sys.exit(0 if taken else "pci-epf-test did not take the command")
'

# The function unlinked while pci-epf-test runs a command: the teardown
# waits for the command to finish.
test_unlink_busy() {
	local ctrl=$1 profile=$2 rc tag="$1 ($2)"
	local fn=$CFS/functions/pci_epf_test/$1 start=$CFS/controllers/$1/start

	check "$tag: bind and start pci-epf-test again" \
		setup_function "$ctrl" "$profile"
	if ! busywait rc_device "$ctrl" > /dev/null; then
		not_ok "$tag: function enumerated again"
		return
	fi
	rc=$(rc_device "$ctrl")
	check "$tag: unbind pci_endpoint_test" \
		sh -c "echo $(basename "$rc") > $rc/driver/unbind"
	check "$tag: unlink the function while it copies" \
		python3 -c "$POKE" "$rc" "$CFS/controllers/$ctrl/$ctrl"
	check "$tag: function gone after unlink" busywait test ! -e "$rc"
	# Let a command handler that outlived the unlink run into trouble
	sleep 1
	check "$tag: stop and remove the function" \
		sh -c "echo 0 > $start && rmdir $fn"
	fn_made=("${fn_made[@]/$CFS\/functions\/pci_epf_test\/$ctrl}")
}

# Bad input gets an error, not a crash.
test_bad_input() {
	local ctrl=$1 start=$CFS/controllers/$1/start

	check_fail "$ctrl: start written twice is refused" \
		sh -c "echo 1 > $start && echo 1 > $start"
	echo 0 > "$start" 2>/dev/null
	check_fail "$ctrl: linking a non-function is refused" \
		ln -s "$CFS/controllers/$ctrl" "$CFS/controllers/$ctrl/self"
	rm -f "$CFS/controllers/$ctrl/self"
	check_fail "$ctrl: linking a controller to a function is refused" \
		sh -c "mkdir $CFS/functions/pci_epf_test/bad-$ctrl &&
		       ln -s $CFS/controllers/$ctrl $CFS/functions/pci_epf_test/bad-$ctrl/"
	rm -f "$CFS/functions/pci_epf_test/bad-$ctrl/$ctrl"
	rmdir "$CFS/functions/pci_epf_test/bad-$ctrl" 2>/dev/null
}

main() {
	local ctrl i profile
	local -a profs

	if [ ! -d "$PARAMS" ] || [ "$(cat $PARAMS/mem)" = "(null)" ]; then
		echo "SKIP: no software endpoint controller (pci_epc_sim.mem=)"
		exit $ksft_skip
	fi
	grep -q configfs /proc/mounts ||
		mount -t configfs none /sys/kernel/config || exit $ksft_skip
	if ! find_pcitest; then
		echo "SKIP: no pcitest and no kernel tree to build it from"
		exit $ksft_skip
	fi
	if ! load pci_epf_test drivers/pci/endpoint/functions/pci-epf-test.ko ||
	   ! load pci_endpoint_test drivers/misc/pci_endpoint_test.ko; then
		echo "SKIP: pci-epf-test or pci_endpoint_test not available"
		exit $ksft_skip
	fi

	IFS=, read -ra profs < "$PARAMS/profiles"
	if ! kmsg_start; then
		echo "SKIP: cannot read the kernel log"
		exit $ksft_skip
	fi
	echo "TAP version 13"
	for ((i = 0; i < ${#profs[@]}; i++)); do
		ctrl=pci-epc-sim.$i
		profile=${profs[$i]}
		if [ ! -d "$CFS/controllers/$ctrl" ]; then
			not_ok "$ctrl ($profile): controller in configfs"
			continue
		fi
		test_bad_input "$ctrl"
		test_controller "$ctrl" "$profile"
		test_unlink_busy "$ctrl" "$profile"
	done
	echo "1..$num"
	echo "# $((num - failed)) passed, $failed failed"
	[ $failed = 0 ]
}

main "$@"

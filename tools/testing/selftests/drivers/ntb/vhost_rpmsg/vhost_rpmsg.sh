#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rpmsg over NTB, on a software NTB pair (ntb_hw_sim): virtio_ntb and the
# stock virtio_rpmsg_bus on side 0, vhost_ntb and vhost_rpmsg on side 1,
# bound through the vhost bus configfs interface, rpmsg_char and
# rpmsg_ctrl on both.
#
# Checks, with /dev/rpmsg_ctrlN and /dev/rpmsgN on both hosts:
# - an echo stream: the frontend sends messages of mixed sizes up to the
#   largest payload, with sequence numbers, and the backend sends each
#   back; none may be lost, duplicated, reordered or changed;
# - name service both ways: a channel added through configfs on the
#   backend appears on the frontend and carries a message, and goes away
#   with it; a channel the frontend creates appears on the backend, and
#   goes away with it; a destroy announcement of the frontend
#   removes none of the backend's channels;
# - a full peer: bursts of messages written without blocking, each way,
#   faster than the other host drains them, arrive whole and in order;
# - the configfs values that must be refused, each leaving the channels
#   as they were, and the release of rpmsg_ctrl or the name service
#   through /dev/rpmsg_ctrlN refused;
# - a frontend reset, a reload of vhost_rpmsg and a link flap, each under
#   an echo stream, after which a new stream must pass;
# - the backend's /dev/rpmsg_ctrlN held open while vhost_rpmsg is
#   unbound: its ioctls must fail with ENODEV;
# - a hostile frontend: hostile_frontend.py takes side 0 through ntb_tool
#   and gives the backend messages whose header lies about their length,
#   messages longer than a buffer, descriptors outside the windows and
#   chained to themselves, and an avail index that moves back and forth;
#   each must be refused and counted, and the stock frontend must work
#   again afterwards.
#
# Any kernel splat fails the step during which it was logged.
#
# Usage: vhost_rpmsg.sh [-b KBUILD_DIR] [-n MESSAGES]
#
# Modules load with modprobe, or with insmod from a kernel build directory
# (-b, or KBUILD_OUTPUT). Without a simulated pair the test is skipped.

set -u

ksft_skip=4

kbuild=${KBUILD_OUTPUT:-}
messages=5000
burst=10000

while getopts "b:n:h" opt; do
	case $opt in
	b) kbuild=$OPTARG ;;
	n) messages=$OPTARG ;;
	*) sed -n '3,/^$/s/^# \{0,1\}//p' "$0"; exit 2 ;;
	esac
done

case $messages in
''|*[!0-9]*) echo "vhost_rpmsg.sh: -n takes a number" >&2; exit 2 ;;
esac

export PATH=$PATH:/usr/sbin:/sbin

here=$(cd "$(dirname "$0")" && pwd)
debugfs=/sys/kernel/debug
configfs=/sys/kernel/config
sim=$debugfs/ntb_hw_sim/pair0
clients="ntb_netdev ntb_transport ntb_tool ntb_perf ntb_pingpong"
modules="vhost_rpmsg vhost_ntb virtio_ntb ntb_tool virtio_rpmsg_bus"
modules="$modules rpmsg_ctrl rpmsg_char rpmsg_ns rpmsg_core"
tmp=
cfs=
num=0
failed=0

source "$(dirname "$0")/../../../kselftest/kmsg.sh"

new_splats() {
	kmsg_check && return
	sed 's/^/# /' "$KMSG_REPORT"
	return 1
}

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
	[ -d "/sys/module/$name" ] && return 0
	if [ -z "$kbuild" ]; then
		modprobe "$name" "$@"
		return
	fi
	ko=$(find "$kbuild/drivers/virtio" "$kbuild/drivers/vhost" \
		"$kbuild/drivers/rpmsg" "$kbuild/drivers/ntb" \
		-name "$name.ko" 2>/dev/null | head -n 1)
	# Built in, or not built.
	[ -n "$ko" ] || { [ -d "/sys/module/$name" ]; return; }
	# What it needs first, as modprobe would load it.
	for dep in $(modinfo -F depends "$ko" | tr , ' '); do
		[ -d "/sys/module/$dep" ] || mod_load "$dep" || return 1
	done
	insmod "$ko" "$@"
}

mod_unload() {
	local name

	for name; do
		[ -e "/sys/module/$name/refcnt" ] || continue
		if [ -z "$kbuild" ]; then
			modprobe -r "$name"
		else
			rmmod "$name"
		fi
	done
}

cleanup() {
	set +e
	[ -n "$tmp" ] && kill $(cat "$tmp/pids" 2>/dev/null) 2>/dev/null
	wait 2>/dev/null
	[ -w "$sim/link" ] && echo Y > "$sim/link"
	[ -n "$cfs" ] && rmdir "$cfs/vhost_rpmsg" "$cfs" 2>/dev/null
	mod_unload $modules
	[ -n "$tmp" ] && rm -rf "$tmp"
	kmsg_stop
}

# rpmsg_ctrl SIDE_DEV: the /dev/rpmsg_ctrlN whose device is below the NTB
# device SIDE_DEV.
rpmsg_ctrl() {
	local c

	for c in /sys/class/rpmsg/rpmsg_ctrl*; do
		[ -e "$c" ] || continue
		case $(readlink -f "$c") in
		*/"$1"/*) echo "/dev/${c##*/}"; return 0 ;;
		esac
	done
	return 1
}

# channel SIDE_DEV NAME SRC DST [DRIVER]: is there an rpmsg device with
# that name and those addresses (decimal, -1 for any) below SIDE_DEV,
# bound to DRIVER if given?
channel() {
	local d

	for d in /sys/bus/rpmsg/devices/*; do
		[ -e "$d/name" ] || continue
		case $(readlink -f "$d") in */"$1"/*) ;; *) continue ;; esac
		[ "$(cat "$d/name")" = "$2" ] || continue
		# A channel created for any source address gets its
		# endpoint's once a driver binds.
		[ "$3" = -1 ] || [ $(($(cat "$d/src"))) = $(($3)) ] || continue
		[ $(($(cat "$d/dst"))) = $(($4 & 0xffffffff)) ] || continue
		[ -z "${5:-}" ] && return 0
		[ "$(basename "$(readlink "$d/driver" 2>/dev/null)")" = "$5" ]
		return
	done
	return 1
}

no_channel() {
	! channel "$@"
}

# rpmsg.py: the ioctls of /dev/rpmsg_ctrlN, and the message streams.
write_helper() {
	cat > "$tmp/rpmsg.py" <<-'EOF'
	import errno, fcntl, glob, hashlib, os, select, struct, sys, threading, time

	CREATE_EPT = 0x4028b501
	DESTROY_EPT = 0xb502
	CREATE_DEV = 0x4028b503
	RELEASE_DEV = 0x4028b504
	ANY = 0xffffffff
	MTU = 496

	def info(name, src, dst):
	    return struct.pack('32sII', name.encode(), src & ANY, dst & ANY)

	def ctrl_ioctl(ctrl, req, name, src, dst):
	    fd = os.open(ctrl, os.O_RDWR)
	    try:
	        fcntl.ioctl(fd, req, info(name, src, dst))
	    finally:
	        os.close(fd)

	def eptdevs(ctrl, src, dst):
	    """The /dev/rpmsgN below ctrl with addresses src, dst."""
	    base = os.path.realpath('/sys/class/rpmsg/' + os.path.basename(ctrl))
	    found = set()
	    for d in glob.glob('/sys/class/rpmsg/rpmsg[0-9]*'):
	        try:
	            if (os.path.realpath(d).startswith(base + '/') and
	                    int(open(d + '/src').read()) == src and
	                    int(open(d + '/dst').read()) == dst & ANY):
	                found.add('/dev/' + os.path.basename(d))
	        except OSError:
	            pass
	    return found

	def open_ept(ctrl, name, src, dst):
	    """Create an endpoint device and open it: the new one, since
	    those of earlier endpoints stay until destroyed."""
	    old = eptdevs(ctrl, src, dst)
	    ctrl_ioctl(ctrl, CREATE_EPT, name, src, dst)
	    for _ in range(100):
	        new = eptdevs(ctrl, src, dst) - old
	        if new and os.path.exists(min(new)):
	            return os.open(min(new), os.O_RDWR)
	        time.sleep(0.1)
	    raise SystemExit('no endpoint device %d -> %d below %s' % (src, dst, ctrl))

	def close_ept(fd):
	    fcntl.ioctl(fd, DESTROY_EPT)
	    os.close(fd)

	def payload(seq):
	    """Message seq: its number, then bytes drawn from it, 8 to MTU."""
	    size = 8 + (seq * 7919) % (MTU - 7)
	    head = struct.pack('<Q', seq)
	    body = hashlib.sha256(head).digest() * (size // 32 + 1)
	    return head + body[:size - 8]

	def echo(ctrl, src, dst, ready):
	    """Send back each message until the endpoint goes away."""
	    fd = open_ept(ctrl, 'echo', src, dst)
	    open(ready, 'w').close()
	    try:
	        while True:
	            os.write(fd, os.read(fd, 4096))
	    except OSError as e:
	        print('# echo: %s' % e)
	    try:
	        close_ept(fd)
	    except OSError:
	        pass

	def stream(ctrl, src, dst, count, wait, started=None):
	    """count messages out, each back in order and intact; or, with
	    wait=0, until the other end goes away (under a reset): exit 0
	    if the ones back were intact. started is created once one is."""
	    fd = open_ept(ctrl, 'stream', src, dst)
	    err = []
	    bad = []
	    def send():
	        try:
	            for seq in range(count):
	                os.write(fd, payload(seq))
	        except OSError as e:
	            err.append('send: %s' % e)
	    t = threading.Thread(target=send)
	    t.start()
	    got = 0
	    while got < count and not err:
	        try:
	            r, _, _ = select.select([fd], [], [], 30)
	            if not r:
	                err.append('no message for 30 s after %d' % got)
	                break
	            m = os.read(fd, 4096)
	        except OSError as e:
	            err.append('receive: %s' % e)
	            break
	        if m != payload(got):
	            seq = struct.unpack('<Q', m[:8])[0] if len(m) >= 8 else -1
	            err.append('message %d: got %d bytes, seq %d' % (got, len(m), seq))
	            bad.append(got)
	            break
	        got += 1
	        if got == 1 and started:
	            open(started, 'w').close()
	    t.join()
	    try:
	        close_ept(fd)
	    except OSError:
	        pass
	    print('# stream: %d of %d messages back' % (got, count))
	    if err:
	        print('# stream: ' + '; '.join(err))
	    sys.exit(0 if got == count or (not wait and got and not bad) else 1)

	def drain(ctrl, src, dst, count, ready):
	    """count messages in, in order and intact."""
	    fd = open_ept(ctrl, 'burst', src, dst)
	    open(ready, 'w').close()
	    got = 0
	    while got < count:
	        r, _, _ = select.select([fd], [], [], 30)
	        if not r:
	            print('# drain: no message for 30 s after %d' % got)
	            break
	        m = os.read(fd, 4096)
	        if m != payload(got):
	            print('# drain: message %d is not the one sent' % got)
	            break
	        got += 1
	    close_ept(fd)
	    print('# drain: %d of %d messages' % (got, count))
	    sys.exit(0 if got == count else 1)

	def hog(seconds):
	    """Run this process, and a spinning one on each other CPU, at a
	    real-time priority: the work items that drain the peer's queues
	    then run only while this process waits. Returns the spinners."""
	    cpus = sorted(os.sched_getaffinity(0))
	    param = os.sched_param(10)
	    pids = []
	    for cpu in cpus[1:]:
	        pid = os.fork()
	        if pid == 0:
	            os.sched_setaffinity(0, {cpu})
	            os.sched_setscheduler(0, os.SCHED_FIFO, param)
	            end = time.time() + seconds
	            while time.time() < end:
	                pass
	            os._exit(0)
	        pids.append(pid)
	    os.sched_setaffinity(0, {cpus[0]})
	    os.sched_setscheduler(0, os.SCHED_FIFO, param)
	    return pids

	def burst(ctrl, src, dst, count, polls):
	    """count messages out as fast as writes go, without blocking, with
	    the peer's work items held off: a full peer fails a write with
	    ENOMEM, and the write is tried again once poll() says so
	    (polls=1), or after a millisecond. Exits 0 if all went out and
	    the peer was found full at least once."""
	    fd = open_ept(ctrl, 'burst', src, dst)
	    os.set_blocking(fd, False)
	    limit = 120
	    spinners = hog(limit)
	    try:
	        full = 0
	        seq = 0
	        end = time.time() + limit
	        while seq < count and time.time() < end:
	            try:
	                os.write(fd, payload(seq))
	                seq += 1
	            except OSError as e:
	                if e.errno not in (errno.ENOMEM, errno.EAGAIN):
	                    print('# burst: message %d: %s' % (seq, e))
	                    break
	                full += 1
	                if polls:
	                    _, w, _ = select.select([], [fd], [], 30)
	                    if not w:
	                        print('# burst: not writable for 30 s')
	                        break
	                else:
	                    time.sleep(0.001)
	    finally:
	        for pid in spinners:
	            os.kill(pid, 9)
	            os.waitpid(pid, 0)
	    close_ept(fd)
	    print('# burst: %d of %d messages sent, the peer full %d times'
	          % (seq, count, full))
	    sys.exit(0 if seq == count and full else 1)

	def main():
	    cmd, args = sys.argv[1], sys.argv[2:]
	    if cmd == 'echo':
	        echo(args[0], int(args[1], 0), int(args[2], 0), args[3])
	    elif cmd == 'stream':
	        stream(args[0], int(args[1], 0), int(args[2], 0), int(args[3]),
	               int(args[4]), args[5] if len(args) > 5 else None)
	    elif cmd == 'drain':
	        drain(args[0], int(args[1], 0), int(args[2], 0), int(args[3]),
	              args[4])
	    elif cmd == 'burst':
	        burst(args[0], int(args[1], 0), int(args[2], 0), int(args[3]),
	              int(args[4]))
	    elif cmd in ('create', 'release'):
	        try:
	            ctrl_ioctl(args[0], CREATE_DEV if cmd == 'create' else RELEASE_DEV,
	                       args[1], int(args[2], 0), int(args[3], 0))
	        except OSError as e:
	            print('# %s: %s' % (cmd, e))
	            sys.exit(1)
	    elif cmd == 'gone':
	        # gone CTRL COMMAND: CTRL stays open while COMMAND removes
	        # its rpmsg device; an ioctl must then fail with ENODEV.
	        fd = os.open(args[0], os.O_RDWR)
	        try:
	            if os.system(args[1]):
	                print('# gone: "%s" failed' % args[1])
	                sys.exit(1)
	            try:
	                fcntl.ioctl(fd, CREATE_EPT, info('gone', 0x700, 0x701))
	            except OSError as e:
	                print('# gone: %s' % e)
	                sys.exit(0 if e.errno == errno.ENODEV else 1)
	            print('# gone: the ioctl succeeded')
	            sys.exit(1)
	        finally:
	            os.close(fd)
	    elif cmd == 'send':
	        # send CTRL-less: write one message to an rpmsg device
	        fd = os.open(args[0], os.O_RDWR)
	        os.write(fd, args[1].encode())
	        os.close(fd)
	    elif cmd == 'recv':
	        fd = os.open(args[0], os.O_RDWR)
	        r, _, _ = select.select([fd], [], [], 10)
	        sys.exit(0 if r and os.read(fd, 4096) == args[1].encode() else 1)

	main()
	EOF
}

# The backend's echo endpoint 0x500 -> 0x600, in the background.
start_echo() {
	rm -f "$tmp/echo.ready"
	python3 "$tmp/rpmsg.py" echo "$ctrl_b" 0x500 0x600 "$tmp/echo.ready" &
	echo $! >> "$tmp/pids"
	busywait 10 test -e "$tmp/echo.ready"
}

# stream COUNT [WAIT [STARTED]]: the frontend's stream 0x600 -> 0x500, sent
# back by the echo endpoint.
stream() {
	python3 "$tmp/rpmsg.py" stream "$ctrl_a" 0x600 0x500 "$1" "${2:-1}" ${3:-}
}

# bind_client: bind vhost_rpmsg to the device vhost_ntb registered, and
# wait for rpmsg_ctrl on both sides.
bind_client() {
	local d

	busywait 10 eval 'ls /sys/bus/vhost/devices | grep -q .' || return 1
	cfs=$configfs/vhost/$dev_b
	mkdir "$cfs" && echo vhost_rpmsg > "$cfs/client" || return 1
	busywait 20 rpmsg_ctrl "$dev_a" > /dev/null &&
	busywait 20 rpmsg_ctrl "$dev_b" > /dev/null || return 1
	ctrl_a=$(rpmsg_ctrl "$dev_a")
	ctrl_b=$(rpmsg_ctrl "$dev_b")
	# devtmpfs creates the nodes a moment after the class devices.
	busywait 10 test -c "$ctrl_a" -a -c "$ctrl_b"
}

unbind_client() {
	rmdir "$cfs/vhost_rpmsg" 2>/dev/null
	rmdir "$cfs" && cfs=
}

setup() {
	local m

	for m in rpmsg_core rpmsg_ns rpmsg_char rpmsg_ctrl virtio_rpmsg_bus virtio_ntb; do
		mod_load $m || return 1
	done
	# The NTB bus gave both sides to virtio_ntb: side 1 is the backend.
	echo "$dev_b" > /sys/bus/ntb/drivers/virtio_ntb/unbind || return 1
	mod_load vhost_ntb && mod_load vhost_rpmsg && bind_client
}

# Each value must be refused with its errno, and change nothing.
refuse() {
	local attr=$1 value=$2 errno=$3 before out

	before=$(cat "$cfs/vhost_rpmsg/channels")
	out=$( (echo "$value" > "$cfs/vhost_rpmsg/$attr") 2>&1)
	if [ $? = 0 ]; then
		echo "# $attr '$value' was taken"
		return 1
	fi
	case $out in
	*"$errno"*) ;;
	*) echo "# $attr '$value': $out, expected $errno"; return 1 ;;
	esac
	[ "$(cat "$cfs/vhost_rpmsg/channels")" = "$before" ]
}

configfs_tests() {
	local long

	check "configfs: the client's settings" mkdir "$cfs/vhost_rpmsg"
	check "configfs: add a channel rpmsg-raw 0x700 -> any on the backend" \
		eval 'echo "rpmsg-raw 0x700 -1" > $cfs/vhost_rpmsg/add_channel'
	check "configfs: channels lists it" \
		test "$(cat "$cfs/vhost_rpmsg/channels")" = "rpmsg-raw 1792 -1"
	check "name service: rpmsg_char binds to it on the backend" \
		busywait 10 channel "$dev_b" rpmsg-raw 0x700 -1 rpmsg_chrdev
	check "name service: it appears on the frontend, bound to rpmsg_char" \
		busywait 10 channel "$dev_a" rpmsg-raw -1 0x700 rpmsg_chrdev
	check "name service: a message crosses the announced channel" \
		channel_message

	long=$(printf 'x%.0s' $(seq 32))
	check "configfs: a malformed line is refused (EINVAL)" \
		refuse add_channel "rpmsg-raw 0x701" "Invalid argument"
	check "configfs: a bad address is refused (EINVAL)" \
		refuse add_channel "rpmsg-raw 0x70z -1" "Invalid argument"
	check "configfs: a name of 32 characters is refused (EINVAL)" \
		refuse add_channel "$long 0x701 -1" "Invalid argument"
	check "configfs: trailing words are refused (EINVAL)" \
		refuse add_channel "rpmsg-raw 0x701 -1 x" "Invalid argument"
	check "configfs: address 53 is refused (EADDRINUSE)" \
		refuse add_channel "rpmsg-raw 53 -1" "Address already in use"
	check "configfs: the same channel twice is refused (EEXIST)" \
		refuse add_channel "rpmsg-raw 0x700 -1" "File exists"
	check "configfs: removing a channel never added is refused (ENOENT)" \
		refuse remove_channel "rpmsg-raw 0x701 -1" "No such file"
	check "configfs: removing the name service is refused (ENOENT)" \
		refuse remove_channel "rpmsg_ns 53 53" "No such file"
	check "rpmsg_ctrl: releasing the name service is refused" \
		eval '! python3 $tmp/rpmsg.py release $ctrl_b rpmsg_ns 53 53 &&
		      channel $dev_b rpmsg_ns 53 53 rpmsg_ns'

	check "configfs: add rpmsg-raw 0x702 -> 0x402 on the backend" \
		eval 'echo "rpmsg-raw 0x702 0x402" > $cfs/vhost_rpmsg/add_channel'
	check "configfs: -1 does not remove a channel added with an address (ENOENT)" \
		refuse remove_channel "rpmsg-raw -1 0x402" "No such file"
	check "name service: the frontend's destroy announcement leaves the backend's channel" \
		frontend_destroy
	check "configfs: add rpmsg-raw any -> 0x403 on the backend" \
		eval 'echo "rpmsg-raw -1 0x403" > $cfs/vhost_rpmsg/add_channel &&
		      busywait 10 channel $dev_b rpmsg-raw -1 0x403 rpmsg_chrdev'
	check "configfs: channels lists the addresses as written" \
		test "$(cat "$cfs/vhost_rpmsg/channels")" = "$(printf '%s\n' \
			'rpmsg-raw 1792 -1' 'rpmsg-raw 1794 1026' 'rpmsg-raw -1 1027')"
	check "configfs: remove the channels" \
		eval 'echo "rpmsg-raw 0x700 -1" > $cfs/vhost_rpmsg/remove_channel &&
		      echo "rpmsg-raw 0x702 0x402" > $cfs/vhost_rpmsg/remove_channel &&
		      echo "rpmsg-raw -1 0x403" > $cfs/vhost_rpmsg/remove_channel'
	check "name service: it is gone from both hosts" \
		eval 'no_channel $dev_b rpmsg-raw 0x700 -1 &&
		      busywait 10 no_channel $dev_a rpmsg-raw -1 0x700'
	check "configfs: channels is empty" \
		test -z "$(cat "$cfs/vhost_rpmsg/channels")"
}

# The frontend creates and releases rpmsg-raw 0x402 -> any: its creation
# is refused on the backend, which has rpmsg-raw 0x702 -> 0x402, and its
# destroy announcement must leave that one alone.
frontend_destroy() {
	local mark

	mark=$(dmesg | grep -c "rpmsg_destroy_channel failed")
	python3 "$tmp/rpmsg.py" create "$ctrl_a" rpmsg-raw 0x402 -1 &&
	busywait 10 channel "$dev_a" rpmsg-raw 0x402 -1 rpmsg_chrdev &&
	python3 "$tmp/rpmsg.py" release "$ctrl_a" rpmsg-raw 0x402 -1 &&
	busywait 10 eval 'test $(dmesg | grep -c "rpmsg_destroy_channel failed") -gt $mark' &&
	channel "$dev_b" rpmsg-raw 0x702 0x402 rpmsg_chrdev
}

# full_peer FROM_CTRL TO_CTRL POLLS: a burst of $burst messages, written
# without blocking from one host faster than the other drains them, must
# find the other host full and arrive whole and in order.
full_peer() {
	local rpid ret

	rm -f "$tmp/drain.ready"
	python3 "$tmp/rpmsg.py" drain "$2" 0x610 0x510 $burst \
		"$tmp/drain.ready" > "$tmp/drain.log" 2>&1 &
	rpid=$!
	if ! busywait 10 test -e "$tmp/drain.ready"; then
		kill $rpid
		wait $rpid
		return 1
	fi
	t=$SECONDS
	python3 "$tmp/rpmsg.py" burst "$1" 0x510 0x610 $burst "$3"
	ret=$?
	wait $rpid || ret=1
	cat "$tmp/drain.log"
	echo "# $burst messages in $((SECONDS - t)) s"
	return $ret
}

# A message from the frontend's end of the announced channel reaches the
# backend's end.
channel_message() {
	local d dev_fe= dev_be=

	for d in /sys/class/rpmsg/rpmsg[0-9]*; do
		[ -e "$d/src" ] || continue
		case $(readlink -f "$d") in
		*/"$dev_a"/*)
			[ $(($(cat "$d/dst"))) = $((0x700)) ] && dev_fe=/dev/${d##*/} ;;
		*/"$dev_b"/*)
			[ $(($(cat "$d/src"))) = $((0x700)) ] && dev_be=/dev/${d##*/} ;;
		esac
	done
	[ -n "$dev_fe" ] && [ -n "$dev_be" ] || return 1
	busywait 5 test -c "$dev_fe" -a -c "$dev_be" || return 1
	python3 "$tmp/rpmsg.py" recv "$dev_be" hello &
	local pid=$!
	sleep 0.5
	python3 "$tmp/rpmsg.py" send "$dev_fe" hello
	wait $pid
}

frontend_channel_tests() {
	check "name service: the frontend creates rpmsg-raw 0x800 -> any" \
		python3 "$tmp/rpmsg.py" create "$ctrl_a" rpmsg-raw 0x800 -1
	check "name service: it appears on the backend, bound to rpmsg_char" \
		busywait 10 channel "$dev_b" rpmsg-raw -1 0x800 rpmsg_chrdev
	check "name service: the frontend releases it" \
		python3 "$tmp/rpmsg.py" release "$ctrl_a" rpmsg-raw 0x800 -1
	check "name service: it is gone from the backend" \
		busywait 10 no_channel "$dev_b" rpmsg-raw -1 0x800
	check "name service: the frontend creates it again" \
		python3 "$tmp/rpmsg.py" create "$ctrl_a" rpmsg-raw 0x800 -1
	check "name service: and it appears on the backend again" \
		busywait 10 channel "$dev_b" rpmsg-raw -1 0x800 rpmsg_chrdev
}

# disrupt NAME ACTION...: run ACTION under an echo stream, then check that
# the stream ended (cut short or not) and that a new one passes.
disrupt() {
	local name=$1 spid

	shift
	rm -f "$tmp/started"
	stream 1000000 0 "$tmp/started" > "$tmp/disrupt.log" 2>&1 &
	spid=$!
	if ! busywait 30 test -e "$tmp/started"; then
		fail "$name: no stream to disrupt"
		kill $spid
		wait $spid
		sed 's/^/# /' "$tmp/disrupt.log"
		return
	fi
	check "$name under traffic" "$@"
	if ! busywait 60 eval '! kill -0 $spid 2>/dev/null'; then
		kill $spid
		fail "$name: the stream did not end"
	fi
	wait $spid
	check "$name: the stream under it ended cleanly" test $? = 0
	sed 's/^/# /' "$tmp/disrupt.log"
}

frontend_reset() {
	local vdir

	vdir=$(readlink -f /sys/bus/ntb/devices/"$dev_a"/virtio_ntb/virtio*)
	[ -d "$vdir" ] || return 1
	echo "${vdir##*/}" > /sys/bus/virtio/drivers/virtio_rpmsg_bus/unbind &&
	busywait 10 no_channel "$dev_b" rpmsg-raw -1 0x800 &&
	echo "${vdir##*/}" > /sys/bus/virtio/drivers/virtio_rpmsg_bus/bind &&
	busywait 20 rpmsg_ctrl "$dev_a" > /dev/null
}

client_reload() {
	unbind_client && mod_unload vhost_rpmsg && mod_load vhost_rpmsg &&
	bind_client
}

link_flap() {
	echo N > "$sim/link" && sleep 1 && echo Y > "$sim/link" &&
	busywait 30 rpmsg_ctrl "$dev_a" > /dev/null
}

# ctrl_gone: the backend's /dev/rpmsg_ctrlN, held open while vhost_rpmsg
# is unbound, answers its ioctls with ENODEV; then vhost_rpmsg binds again.
ctrl_gone() {
	kill $(cat "$tmp/pids") 2>/dev/null
	wait 2>/dev/null
	: > "$tmp/pids"
	check "rpmsg_ctrl held open across the unbind of vhost_rpmsg: ENODEV" \
		python3 "$tmp/rpmsg.py" gone "$ctrl_b" \
		"timeout 30 sh -c 'rmdir $cfs/vhost_rpmsg 2>/dev/null; rmdir $cfs'"
	cfs=
	check "vhost_rpmsg binds again after it" bind_client
}

# after NAME: both ends are back and a new stream passes.
after() {
	# The echo endpoint may have outlived the disruption: a new one.
	kill $(cat "$tmp/pids") 2>/dev/null
	wait 2>/dev/null
	: > "$tmp/pids"
	ctrl_a=$(rpmsg_ctrl "$dev_a")
	ctrl_b=$(rpmsg_ctrl "$dev_b")
	busywait 10 test -c "$ctrl_a" -a -c "$ctrl_b"
	start_echo
	check "$1: a stream of 500 messages passes after it" stream 500
}

# hostile_frontend: the frontend's side goes from virtio_ntb to ntb_tool,
# through which hostile_frontend.py drives the backend; each case it
# reports becomes a step. Then virtio_ntb takes the side back.
hostile_frontend() {
	local vdir line rc driver

	kill $(cat "$tmp/pids") 2>/dev/null
	wait 2>/dev/null
	: > "$tmp/pids"
	check "hostile frontend: ntb_tool takes the frontend's side" \
		eval 'mod_unload virtio_ntb && mod_load ntb_tool &&
		      driver=$(readlink /sys/bus/ntb/devices/$dev_a/driver) &&
		      test "${driver##*/}" = ntb_tool'
	vdir=$(dirname "$(ls -d /sys/bus/vhost/devices/*/rpmsg | head -n 1)")
	python3 "$here/hostile_frontend.py" -c "$vdir/rpmsg" \
		"$debugfs/ntb_tool/$dev_a" "$sim/info" \
		a b c d e past ctrl write loop batch flip > "$tmp/hostile.log" 2>&1
	rc=$?
	while IFS= read -r line; do
		case $line in
		"# PASS "*) ok "hostile frontend: ${line#\# PASS }" ;;
		"# FAIL "*) fail "hostile frontend: ${line#\# FAIL }" ;;
		*) echo "$line" ;;
		esac
	done < "$tmp/hostile.log"
	check "hostile frontend: hostile_frontend.py exits 0 (it said $rc)" \
		test "$rc" = 0
	echo "# counters:$(for c in rx tx rx_malformed rx_unrouted bad_chains; do
		printf ' %s %s' $c "$(cat "$vdir/rpmsg/$c")"; done)"
	check "hostile frontend: virtio_ntb takes the side back" \
		eval 'mod_unload ntb_tool && mod_load virtio_ntb &&
		      busywait 30 rpmsg_ctrl $dev_a > /dev/null'
}

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
if ! command -v python3 > /dev/null; then
	echo "# python3 is missing"
	exit $ksft_skip
fi

dev_a=$(sed -n 's/^side 0: \([^ ]*\) .*/\1/p' "$sim/info")
dev_b=$(sed -n 's/^side 1: \([^ ]*\) .*/\1/p' "$sim/info")
echo "# pair0: frontend $dev_a, backend $dev_b"

tmp=$(mktemp -d)
: > "$tmp/pids"
trap cleanup EXIT
if ! kmsg_start; then
	echo "# cannot follow the kernel log (/dev/kmsg)"
	exit $ksft_skip
fi
write_helper

# The NTB bus binds any client to every device: nothing else may be loaded.
mod_unload $clients vhost_bus_net $modules

if ! setup; then
	fail "load virtio_rpmsg_bus, virtio_ntb, vhost_ntb, vhost_rpmsg and bind them"
else
	ok "load virtio_rpmsg_bus, virtio_ntb, vhost_ntb, vhost_rpmsg and bind them"
	check "the frontend negotiated the name service" \
		eval 'test $(($(cat /sys/bus/vhost/devices/*/features) & 1)) = 1'
	check "echo endpoint on the backend" start_echo
	t=$SECONDS
	check "a stream of $messages messages, 8 to 496 bytes, each back in order" \
		stream "$messages"
	echo "# $messages round trips in $((SECONDS - t)) s"
	check "the backend counted them, and nothing malformed or unrouted" \
		eval 'v=$(ls /sys/bus/vhost/devices | head -n 1) &&
		      r=/sys/bus/vhost/devices/$v/rpmsg &&
		      test $(cat $r/rx) -ge '"$messages"' -a \
			   $(cat $r/rx_malformed) = 0 -a $(cat $r/bad_chains) = 0'

	check "full frontend: $burst messages from the backend, none lost" \
		full_peer "$ctrl_b" "$ctrl_a" 1
	check "full backend: $burst messages from the frontend, none lost" \
		full_peer "$ctrl_a" "$ctrl_b" 0

	configfs_tests
	frontend_channel_tests

	start_echo
	disrupt "frontend reset" frontend_reset
	after "frontend reset"
	check "frontend reset: the frontend's channel is gone" \
		no_channel "$dev_b" rpmsg-raw -1 0x800

	disrupt "vhost_rpmsg unbound and reloaded" client_reload
	after "vhost_rpmsg reload"

	ctrl_gone
	after "rpmsg_ctrl held open across an unbind"

	disrupt "link flap" link_flap
	after "link flap"

	hostile_frontend
	after "hostile frontend"
fi

kill $(cat "$tmp/pids") 2>/dev/null
wait 2>/dev/null
[ -n "$cfs" ] && check "unbind the client" unbind_client
check "unload the modules" mod_unload $modules
check "no NTB client left bound" \
	test ! -e "/sys/bus/ntb/devices/$dev_a/driver" -a \
	     ! -e "/sys/bus/ntb/devices/$dev_b/driver"
check "no kernel warning after the last step" true

echo "1..$num"
[ $failed = 0 ]

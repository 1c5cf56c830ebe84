# SPDX-License-Identifier: GPL-2.0
#
# Kernel log checks for shell selftests (bash), so that a step during which
# the kernel reported a bug in itself fails, whatever the step's command
# returned. Source it, then:
#
#   kmsg_start    follow the kernel log from now on; false if /dev/kmsg
#                 cannot be read or written (the test needs root)
#   kmsg_check    false if the kernel reported a bug (BUG, WARNING, Oops,
#                 KASAN, UBSAN, KFENCE, lockdep, a hung task, a soft
#                 lockup, an RCU stall) since kmsg_start or the last
#                 kmsg_check, or if its log stopped; the report, each
#                 matching line with the 20 lines after it, is then in the
#                 file $KMSG_REPORT
#   kmsg_stop     stop following the log (from the test's cleanup)
#
# The log is copied from /dev/kmsg by a background reader as it comes, so
# that nothing is lost when the ring buffer wraps, and read back up to a
# mark that kmsg_check logs. Reading it back starts no process, which
# matters in an emulated guest.

KMSG_SPLAT='(^|[^A-Z_])BUG[: ]|WARNING:|Oops|KASAN|UBSAN|KFENCE|DEBUG_LOCKS_WARN'
KMSG_SPLAT+='|Call Trace:|general protection fault|Kernel panic|INFO: '
KMSG_SPLAT+='|blocked for more than|possible (recursive|circular) locking'
KMSG_SPLAT+='|inconsistent lock state|suspicious RCU usage|soft lockup'
KMSG_SPLAT+='|rcu_.* detected stalls|self-detected stall'
# Seconds a mark may take to come back through the log.
KMSG_TIMEOUT=${KMSG_TIMEOUT:-30}
KMSG_REPORT=
kmsg_dir=
kmsg_pid=
kmsg_fd=
kmsg_nap=
kmsg_marks=0
kmsg_part=

kmsg_start() {
	kmsg_dir=$(mktemp -d) || return 1
	KMSG_REPORT=$kmsg_dir/report
	: > "$kmsg_dir/kmsg"
	# Not a child of the test's shell, which may "wait" for its own.
	(cat /dev/kmsg > "$kmsg_dir/kmsg" 2> /dev/null < /dev/null &
	 echo $! > "$kmsg_dir/pid")
	kmsg_pid=$(< "$kmsg_dir/pid")
	# A FIFO nothing writes to times the waits without a sleep process.
	mkfifo "$kmsg_dir/nap" || return 1
	exec {kmsg_nap}<> "$kmsg_dir/nap" {kmsg_fd}< "$kmsg_dir/kmsg" || return 1
	kmsg_scan > /dev/null
}

# Reads the log up to a mark logged now, printing each line that reports a
# bug with the 20 lines after it. False if the mark does not come back.
kmsg_scan() {
	local line naps=0 after=0 mark

	kmsg_marks=$((kmsg_marks + 1))
	mark="kselftest $$: log mark $kmsg_marks"
	echo "<7>$mark" > /dev/kmsg || return 1
	while :; do
		if ! IFS= read -r -u "$kmsg_fd" line; then
			kmsg_part+=$line
			naps=$((naps + 1))
			[ $naps -gt $((KMSG_TIMEOUT * 20)) ] && return 1
			IFS= read -r -t 0.05 -u "$kmsg_nap" line
			continue
		fi
		line=$kmsg_part$line
		kmsg_part=
		[[ $line == *"$mark" ]] && return 0
		[[ $line =~ $KMSG_SPLAT ]] && after=21
		if [ $after -gt 0 ]; then
			echo "$line"
			after=$((after - 1))
		fi
	done
}

kmsg_check() {
	[ -n "$kmsg_fd" ] || return 0
	if ! kmsg_scan > "$KMSG_REPORT"; then
		echo "the kernel log stopped" >> "$KMSG_REPORT"
		return 1
	fi
	[ ! -s "$KMSG_REPORT" ]
}

kmsg_stop() {
	[ -n "$kmsg_pid" ] && kill "$kmsg_pid" 2>/dev/null
	[ -n "$kmsg_fd" ] && exec {kmsg_fd}<&-
	[ -n "$kmsg_nap" ] && exec {kmsg_nap}<&-
	[ -n "$kmsg_dir" ] && rm -rf "$kmsg_dir"
	kmsg_pid=
	kmsg_fd=
	kmsg_nap=
	kmsg_dir=
}

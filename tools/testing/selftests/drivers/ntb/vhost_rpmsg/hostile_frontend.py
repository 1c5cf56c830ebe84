#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A hostile virtio-ntb frontend, for testing vhost_ntb and vhost_rpmsg.

Run by vhost_rpmsg.sh, or by hand on a pair set up the same way.

Plays the frontend of the virtio-ntb transport
(Documentation/driver-api/virtio/virtio_ntb.rst) on one side of a software
NTB pair (ntb_hw_sim), through ntb_tool's debugfs files (scratchpads,
doorbells, link, the inbound window's translation) and /dev/mem (the two
memory windows, found in ntb_hw_sim's debugfs "info"), against the real
backend, vhost_ntb with the vhost_rpmsg client, on the other side.

It does the handshake, waits for the rpmsg device (id 7, 2 queues),
negotiates VERSION_1, ACCESS_PLATFORM, ORDER_PLATFORM and the rpmsg name
service, places the rings in the windows, sets DRIVER_OK, and then makes
chains available on the output queue (queue 1), one CASE at a time, each
checked from the used ring and the backend's counters:

  a      a well-formed message to 0x7777, where no endpoint is: rx_unrouted +1
  b      a header whose len (400) exceeds the 24 bytes given: rx_malformed +1
  c      8 bytes, less than a header: rx_malformed +1
  d      a chain of 600 bytes (300 + 300), more than a 512-byte
         virtio-rpmsg buffer: rx_malformed +1
  e      a descriptor in no window (window 3): bad_chains +1
  past   a descriptor that runs past the end of the backend's window:
         bad_chains +1
  ctrl   a descriptor in the backend's control block: bad_chains +1
  write  a device-writable descriptor on the output queue: bad_chains +1
  loop   a descriptor chained to itself: bad_chains +1
  batch  a, b, c, d and e at once, with one doorbell
  flip   the avail index moved back and forth between two values for
         FLIP_SECONDS while ringing the doorbell; the backend must keep
         answering status writes; the device is then reset and set up
         again, and case a must pass

Every chain must come back on the used ring, with its head as id and a used
length of 0, the counters must move by exactly what the case says, and the
device must not be NEEDS_RESET (but after flip, where it may).

Output: lines starting with '#': "# PASS CASE: what" and "# FAIL CASE: what"
for each step, diagnostics otherwise. Exit status: 0 if every step passed,
1 if one failed, 2 for bad usage, 3 if the frontend could not be set up.
"""

import argparse
import glob
import mmap
import os
import random
import re
import struct
import sys
import time

MAGIC = 0x564e5442
PROTO_VERSION = 2
ROLE_FRONTEND, ROLE_BACKEND = 1, 2
SPAD_MAGIC, SPAD_VERSION, SPAD_SESSION, SPAD_ECHO, SPAD_WINDOW = range(5)
CTRL_SIZE = 4096
MIN_WINDOW = 64 << 10
WINDOW_UNIT = 4096
ADDR_FRONTEND, ADDR_BACKEND = 1, 2

# The device block, at the start of the frontend's (F) window.
DEV_MAGIC, DEV_VERSION, DEV_ID, DEV_VENDOR = 0x00, 0x04, 0x08, 0x0c
DEV_FEATURES, DEV_STATUS, DEV_STATUS_ACK = 0x10, 0x18, 0x1c
DEV_CONFIG_GEN, DEV_NUM_QUEUES, DEV_CONFIG_LEN = 0x20, 0x24, 0x26
DEV_QUEUE_SIZE_MAX = 0x40
# The driver block, at the start of the backend's (B) window.
DRV_MAGIC, DRV_VERSION, DRV_FEATURES = 0x00, 0x04, 0x08
DRV_STATUS, DRV_STATUS_SEQ, DRV_QUEUES = 0x10, 0x14, 0x40
Q_DESC, Q_AVAIL, Q_USED, Q_SIZE, Q_ENABLE, Q_ENTRY = 0x00, 0x08, 0x10, 0x18, 0x1a, 32

S_ACKNOWLEDGE, S_DRIVER, S_DRIVER_OK, S_FEATURES_OK = 1, 2, 4, 8
S_NEEDS_RESET, S_FAILED = 0x40, 0x80

F_RPMSG_NS = 0
F_INDIRECT_DESC, F_EVENT_IDX = 28, 29
F_VERSION_1, F_ACCESS_PLATFORM, F_RING_PACKED, F_IN_ORDER = 32, 33, 34, 35
F_ORDER_PLATFORM, F_NOTIFICATION_DATA, F_RING_RESET, F_ADMIN_VQ = 36, 38, 40, 41
REQUIRED = 1 << F_VERSION_1 | 1 << F_ACCESS_PLATFORM | 1 << F_ORDER_PLATFORM
FORBIDDEN_OFFER = (1 << F_RING_PACKED | 1 << F_IN_ORDER |
                   1 << F_NOTIFICATION_DATA | 1 << F_RING_RESET |
                   1 << F_ADMIN_VQ)

VIRTIO_ID_RPMSG = 7
INPUTQ, OUTPUTQ = 0, 1
DESC_F_NEXT, DESC_F_WRITE = 1, 2
RPMSG_BUF = 512
HDR = struct.Struct('<IIIHH')       # src, dst, reserved, len, flags

QSIZE = 16
INPUT_BUFS = 8
# Where things go, as offsets in the windows, past the control blocks.
B_DESC = 0x1000                     # + q * 0x800: 16 * QSIZE bytes
B_AVAIL = 0x1400                    # + q * 0x800: 6 + 2 * QSIZE bytes
B_BUFS = 0x4000                     # + slot * 0x400: output messages
F_USED = 0x1000                     # + q * 0x400: 6 + 8 * QSIZE bytes
F_BUFS = 0x4000                     # + i * RPMSG_BUF: input buffers
UNROUTED = 0x7777
SRC = 0x401

COUNTERS = ('rx', 'tx', 'rx_malformed', 'rx_unrouted', 'bad_chains')

failures = 0


def say(msg):
    print('# ' + msg, flush=True)


def result(name, good, what):
    global failures
    if not good:
        failures += 1
    say('%s %s: %s' % ('PASS' if good else 'FAIL', name, what))
    return good


class SetupError(Exception):
    pass


def wait_for(cond, timeout, step=0.01):
    end = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() >= end:
            return v
        time.sleep(step)


class Tool:
    """ntb_tool's debugfs directory of one NTB device."""

    def __init__(self, path):
        self.path = path
        self.db_fd = None

    def read(self, name):
        with open(os.path.join(self.path, name)) as f:
            return f.read().strip()

    def rd(self, name):
        return int(self.read(name), 0)

    def wr(self, name, val):
        with open(os.path.join(self.path, name), 'w') as f:
            f.write(str(val))

    def spad(self, i):
        return self.rd('spad%d' % i)

    def peer_spad(self, i, val):
        self.wr('peer0/spad%d' % i, '%#x' % val)

    def ring(self, bit):
        # One open file, written at offset 0 each time, so that doorbells
        # can come fast.
        if self.db_fd is None:
            self.db_fd = os.open(os.path.join(self.path, 'peer_db'), os.O_WRONLY)
        os.pwrite(self.db_fd, b's %#x' % (1 << bit), 0)

    def link_up(self):
        return self.read('peer0/link') == 'Y'


class Window:
    """A memory window, mapped through /dev/mem."""

    def __init__(self, base, size):
        self.base, self.size = base, size
        fd = os.open('/dev/mem', os.O_RDWR | os.O_SYNC)
        try:
            self.map = mmap.mmap(fd, size, offset=base)
        finally:
            os.close(fd)
        self.mv = memoryview(self.map)

    def _field(self, off, fmt):
        return self.mv[off:off + struct.calcsize(fmt)].cast(fmt)

    def r16(self, off):
        return self._field(off, 'H')[0]

    def r32(self, off):
        return self._field(off, 'I')[0]

    def r64(self, off):
        return self.r32(off) | self.r32(off + 4) << 32

    # One store of the field's width, as a bus master would write it.
    def w16(self, off, val):
        self._field(off, 'H')[0] = val & 0xffff

    def w32(self, off, val):
        self._field(off, 'I')[0] = val & 0xffffffff

    def w64(self, off, val):
        # Two 32-bit writes, the low half first (virtio_ntb.rst).
        self.w32(off, val)
        self.w32(off + 4, val >> 32)

    def write(self, off, data):
        self.mv[off:off + len(data)] = data

    def zero(self, off, length):
        self.mv[off:off + length] = bytes(length)


def parse_info(path):
    """ntb_hw_sim's info: per side, its device and its windows."""
    text = open(path).read()
    sides = []
    for m in re.finditer(r'^side (\d+): (\S+)', text, re.M):
        body = text[m.end():].split('\nside ')[0]
        mws = {}
        for w in re.finditer(r'mw(\d+): phys (\S+) bus (\S+) size (\S+) '
                             r'xlat (\S+)\+(\S+)', body):
            mws[int(w.group(1))] = dict(
                phys=int(w.group(2), 16), bus=int(w.group(3), 16),
                size=int(w.group(4), 16), xlat=int(w.group(5), 16),
                xlat_size=int(w.group(6), 16))
        sides.append(dict(dev=m.group(2), mws=mws))
    return sides


def map_window(mw, size):
    # The window's memory is where its translation leads.
    base = mw['phys'] + mw['xlat'] - mw['bus']
    if not mw['xlat_size'] or size > mw['xlat_size']:
        raise SetupError('window of %#x bytes has a translation of %#x'
                         % (size, mw['xlat_size']))
    return Window(base, size)


class Frontend:
    def __init__(self, tool, info, counters, window_index, timeout):
        self.tool = Tool(tool)
        self.info = info
        self.counters_dir = counters
        self.widx = window_index
        self.timeout = timeout
        self.dev = os.path.basename(os.path.normpath(tool))
        self.status_seq = 0
        self.dead = False

    # --- the handshake ---------------------------------------------------

    def sides(self):
        sides = parse_info(self.info)
        mine = [i for i, s in enumerate(sides) if s['dev'] == self.dev]
        if not mine or len(sides) != 2:
            raise SetupError('%s is not a side of %s' % (self.dev, self.info))
        return sides[mine[0]], sides[1 - mine[0]]

    def setup_window(self):
        mine, _ = self.sides()
        mw = mine['mws'].get(self.widx)
        if not mw:
            raise SetupError('no inbound window %d' % self.widx)
        if not mw['xlat_size']:
            # ntb_tool allocates a buffer and translates the window to it.
            self.tool.wr('peer0/mw_trans%d' % self.widx, mw['size'])
            mine, _ = self.sides()
            mw = mine['mws'][self.widx]
        size = 1 << (min(mw['xlat_size'], mw['size'], 16 << 20).bit_length() - 1)
        if size < MIN_WINDOW:
            raise SetupError('window %d: %#x bytes, less than 64 KiB'
                             % (self.widx, size))
        self.F = map_window(mw, size)
        say('F window: our mw%d, %#x bytes at %#x'
            % (self.widx, size, self.F.base))

    def handshake(self):
        t = self.tool
        t.wr('link', 'Y')
        if not wait_for(t.link_up, self.timeout, 0.05):
            raise SetupError('the NTB link does not come up')
        self.setup_window()

        valid = t.rd('db_valid_mask')
        bits = 0
        while bits < 64 and valid & (1 << bits):
            bits += 1
        if bits < 2:
            raise SetupError('%d doorbell bits' % bits)

        # Step 1: our control block zeroed, a new session.
        self.F.zero(0, CTRL_SIZE)
        old = int(t.read('peer0/spad%d' % SPAD_SESSION), 0)
        session = old
        while session in (0, old):
            session = random.randrange(1, 1 << 32)
        self.session = session
        # Step 2: WINDOW, VERSION, SESSION, MAGIC, doorbell bit 0.
        t.peer_spad(SPAD_WINDOW, self.widx | (self.F.size // WINDOW_UNIT) << 8)
        t.peer_spad(SPAD_VERSION, PROTO_VERSION | ROLE_FRONTEND << 16 | bits << 24)
        t.peer_spad(SPAD_SESSION, session)
        t.peer_spad(SPAD_MAGIC, MAGIC)
        t.ring(0)

        # Steps 3 and 4: echo the backend's session; wait for our echo.
        echoed = None
        end = time.monotonic() + self.timeout
        while True:
            echo = t.spad(SPAD_ECHO)
            magic = t.spad(SPAD_MAGIC)
            version = t.spad(SPAD_VERSION)
            peer_session = t.spad(SPAD_SESSION)
            window = t.spad(SPAD_WINDOW)
            if magic == MAGIC:
                if (version & 0xffff != PROTO_VERSION or
                        (version >> 16) & 0xff != ROLE_BACKEND or
                        not 2 <= version >> 24 <= 64):
                    raise SetupError('the peer announces version %#x' % version)
                if peer_session and peer_session != echoed:
                    t.peer_spad(SPAD_ECHO, peer_session)
                    t.ring(0)
                    echoed = peer_session
                if echoed and echo == session:
                    break
            if time.monotonic() > end:
                raise SetupError('no handshake: magic %#x echo %#x, our '
                                 'session %#x' % (magic, echo, session))
            time.sleep(0.01)
        self.peer_db_bits = version >> 24
        widx, size = window & 0xff, (window >> 8) * WINDOW_UNIT
        _, peer = self.sides()
        mw = peer['mws'].get(widx)
        if not mw or size < MIN_WINDOW or size > mw['size']:
            raise SetupError('backend window %#x is out of bounds' % window)
        self.B = map_window(mw, size)
        say('connected: session %#x, backend session %#x, %d doorbell bits; '
            'B window: its mw%d, %#x bytes at %#x'
            % (session, echoed, self.peer_db_bits, widx, size, self.B.base))

        # The driver block: all but magic, then magic.
        self.B.zero(0, CTRL_SIZE)
        self.B.w32(DRV_VERSION, PROTO_VERSION)
        self.B.w32(DRV_MAGIC, MAGIC)
        self.status_seq = 0

    # --- the device ------------------------------------------------------

    def wait_device(self):
        F = self.F

        def there():
            return F.r32(DEV_MAGIC) == MAGIC and F.r32(DEV_ID) != 0
        if not wait_for(there, self.timeout, 0.02):
            raise SetupError('the backend publishes no device')
        self.device_id = F.r32(DEV_ID)
        version = F.r32(DEV_VERSION)
        self.num_queues = F.r16(DEV_NUM_QUEUES)
        self.offer = F.r64(DEV_FEATURES)
        self.qmax = [F.r16(DEV_QUEUE_SIZE_MAX + 2 * q)
                     for q in range(min(self.num_queues, 64))]
        say('device %d, vendor %#x, version %d, %d queues of at most %s '
            'entries, features %#x, config %d bytes'
            % (self.device_id, F.r32(DEV_VENDOR), version, self.num_queues,
               self.qmax, self.offer, F.r16(DEV_CONFIG_LEN)))
        if version != PROTO_VERSION or self.device_id != VIRTIO_ID_RPMSG or \
           self.num_queues != 2:
            raise SetupError('not a virtio-rpmsg device of 2 queues')
        for q in range(2):
            m = self.qmax[q]
            if not m or m & (m - 1) or m > 32768:
                raise SetupError('queue %d: bad size %d' % (q, m))
        if self.offer & REQUIRED != REQUIRED:
            raise SetupError('the device does not offer %#x' % REQUIRED)
        if self.offer & FORBIDDEN_OFFER:
            say('the device offers features it must not: %#x'
                % (self.offer & FORBIDDEN_OFFER))

    def set_status(self, status, features=None):
        """A status write, and its acknowledgment: the resulting status."""
        F, B = self.F, self.B
        if features is not None:
            B.w64(DRV_FEATURES, features)
        B.w32(DRV_STATUS, status)
        self.status_seq = (self.status_seq + 1) & 0xffffffff
        B.w32(DRV_STATUS_SEQ, self.status_seq)
        self.tool.ring(0)
        t = time.monotonic()
        if not wait_for(lambda: F.r32(DEV_STATUS_ACK) == self.status_seq,
                        self.timeout):
            raise SetupError('status %#x: no acknowledgment in %d s (ack %d, '
                             'seq %d)' % (status, self.timeout,
                                          F.r32(DEV_STATUS_ACK),
                                          self.status_seq))
        got = F.r32(DEV_STATUS) & 0xff
        say('status %#04x -> %#04x, acknowledged in %.3f s'
            % (status, got, time.monotonic() - t))
        return got

    def setup_queue(self, q):
        F, B = self.F, self.B
        desc, avail, used = B_DESC + q * 0x800, B_AVAIL + q * 0x800, F_USED + q * 0x400
        B.zero(desc, 16 * QSIZE)
        B.zero(avail, 6 + 2 * QSIZE)
        F.zero(used, 6 + 8 * QSIZE)
        e = DRV_QUEUES + Q_ENTRY * q
        B.w64(e + Q_DESC, ADDR_BACKEND << 48 | desc)
        B.w64(e + Q_AVAIL, ADDR_BACKEND << 48 | avail)
        B.w64(e + Q_USED, ADDR_FRONTEND << 48 | used)
        B.w16(e + Q_SIZE, QSIZE)
        B.w16(e + Q_ENABLE, 1)
        return dict(q=q, desc=desc, avail=avail, used=used, avail_idx=0,
                    used_idx=0, free=list(range(QSIZE)))

    def start(self):
        """Reset the device and take it through to DRIVER_OK."""
        if self.set_status(0) != 0:
            raise SetupError('the device does not reset')
        self.set_status(S_ACKNOWLEDGE)
        self.set_status(S_ACKNOWLEDGE | S_DRIVER)
        self.features = self.offer & (REQUIRED | 1 << F_RPMSG_NS)
        st = self.set_status(S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK,
                             self.features)
        if not st & S_FEATURES_OK:
            raise SetupError('features %#x refused' % self.features)
        self.queues = [self.setup_queue(q) for q in (INPUTQ, OUTPUTQ)]
        # The input queue: buffers the device may write messages into.
        iq = self.queues[INPUTQ]
        for i in range(INPUT_BUFS):
            self.put_desc(iq, i, ADDR_FRONTEND << 48 | F_BUFS + i * RPMSG_BUF,
                          RPMSG_BUF, DESC_F_WRITE)
            iq['free'].remove(i)
            self.B.w16(iq['avail'] + 4 + 2 * i, i)
        iq['avail_idx'] = INPUT_BUFS
        self.B.w16(iq['avail'] + 2, INPUT_BUFS)
        st = self.set_status(S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK |
                             S_DRIVER_OK)
        if st & (S_DRIVER_OK | S_NEEDS_RESET) != S_DRIVER_OK:
            raise SetupError('DRIVER_OK refused: status %#x' % st)
        self.kick(INPUTQ)
        say('DRIVER_OK with features %#x, %d entries per queue'
            % (self.features, QSIZE))

    def kick(self, q):
        self.tool.ring(1 + q % (self.peer_db_bits - 1))

    # --- rings -----------------------------------------------------------

    def put_desc(self, vq, i, addr, length, flags, nxt=0):
        self.B.write(vq['desc'] + 16 * i,
                     struct.pack('<QIHH', addr, length, flags, nxt))

    def publish(self, vq, heads):
        for h in heads:
            self.B.w16(vq['avail'] + 4 + 2 * (vq['avail_idx'] % QSIZE), h)
            vq['avail_idx'] = (vq['avail_idx'] + 1) & 0xffff
        # x86 keeps stores in order: the entries before the index.
        self.B.w16(vq['avail'] + 2, vq['avail_idx'])
        self.kick(vq['q'])

    def used(self, vq):
        """The used entries since the last call: [(id, len)]."""
        idx = self.F.r16(vq['used'] + 2)
        out = []
        while vq['used_idx'] != idx:
            e = vq['used'] + 4 + 8 * (vq['used_idx'] % QSIZE)
            out.append((self.F.r32(e), self.F.r32(e + 4)))
            vq['used_idx'] = (vq['used_idx'] + 1) & 0xffff
        return out

    def status(self):
        return self.F.r32(DEV_STATUS) & 0xff

    def counters(self):
        return {c: int(open(os.path.join(self.counters_dir, c)).read())
                for c in COUNTERS}


# --- the cases ---------------------------------------------------------------

def msg(dst, length, payload):
    return HDR.pack(SRC, dst, 0, length, 0) + payload


def chains(fe, name):
    """The chains of case NAME: [(segments, expected counter deltas)],
    a segment being (bus address, length, flags, bytes to put there)."""
    B = fe.B
    size = B.size
    bad = lambda w, off, ln: [((w << 48) | off, ln, 0, None)]
    if name == 'a':
        return [([(None, 24, 0, msg(UNROUTED, 8, b'unrouted'))],
                 {'rx_unrouted': 1})]
    if name == 'b':
        return [([(None, 24, 0, msg(UNROUTED, 400, b'too long'))],
                 {'rx_malformed': 1})]
    if name == 'c':
        return [([(None, 8, 0, HDR.pack(SRC, UNROUTED, 0, 0, 0)[:8])],
                 {'rx_malformed': 1})]
    if name == 'd':
        m = msg(UNROUTED, 584, bytes(range(256)) * 2 + bytes(72))
        return [([(None, 300, 0, m[:300]), (None, 300, 0, m[300:])],
                 {'rx_malformed': 1})]
    if name == 'e':
        return [(bad(3, 0x4000, 24), {'bad_chains': 1})]
    if name == 'past':
        return [(bad(ADDR_BACKEND, size - 8, 24), {'bad_chains': 1})]
    if name == 'ctrl':
        return [(bad(ADDR_BACKEND, 0, 24), {'bad_chains': 1})]
    if name == 'write':
        return [([(None, 24, DESC_F_WRITE, msg(UNROUTED, 8, b'writable'))],
                 {'bad_chains': 1})]
    if name == 'loop':
        return [([(None, 24, 'loop', msg(UNROUTED, 8, b'loooooop'))],
                 {'bad_chains': 1})]
    if name == 'batch':
        return sum((chains(fe, c) for c in 'abcde'), [])
    raise KeyError(name)


def post(fe, vq, chain, slot):
    """Write one chain's descriptors and buffers; returns its head."""
    segs = chain
    descs = [vq['free'].pop(0) for _ in segs]
    off = B_BUFS + slot * 0x400
    for n, (addr, length, flags, data) in enumerate(segs):
        if addr is None:
            addr = ADDR_BACKEND << 48 | off
            fe.B.write(off, data)
            off += (length + 15) & ~15
        if flags == 'loop':
            fe.put_desc(vq, descs[n], addr, length, DESC_F_NEXT, descs[n])
            continue
        last = n == len(segs) - 1
        fe.put_desc(vq, descs[n], addr, length,
                    flags | (0 if last else DESC_F_NEXT),
                    0 if last else descs[n + 1])
    vq['chains'] = vq.get('chains', {})
    vq['chains'][descs[0]] = descs
    return descs[0]


def wait_counters(fe, before, expect, timeout):
    want = {c: before[c] + expect.get(c, 0) for c in COUNTERS}
    wait_for(lambda: all(fe.counters()[c] >= want[c] for c in COUNTERS),
             timeout, 0.02)
    time.sleep(0.2)             # anything more would show by now
    now = fe.counters()
    delta = {c: now[c] - before[c] for c in COUNTERS if now[c] != before[c]}
    return now == want, delta


def run_case(fe, name):
    vq = fe.queues[OUTPUTQ]
    try:
        todo = chains(fe, name)
    except KeyError:
        return result(name, False, 'no such case')
    before = fe.counters()
    expect = {}
    for _, e in todo:
        for c, n in e.items():
            expect[c] = expect.get(c, 0) + n
    heads = [post(fe, vq, segs, slot) for slot, (segs, _) in enumerate(todo)]
    fe.publish(vq, heads)

    got = []
    wait_for(lambda: got.extend(fe.used(vq)) or len(got) >= len(heads),
             fe.timeout)
    good = True
    if [g[0] for g in got] != heads:
        say('%s: heads %s made available, used ring gave %s'
            % (name, heads, got))
        good = False
    elif any(g[1] != 0 for g in got):
        say('%s: used lengths %s, expected 0' % (name, [g[1] for g in got]))
        good = False
    for h, _ in got:
        for d in vq['chains'].pop(h, []):
            vq['free'].append(d)
    result(name + ' used', good, '%d chain(s) made available, %d used, ids %s'
           % (len(heads), len(got), [g[0] for g in got]))

    ok, delta = wait_counters(fe, before, expect, fe.timeout)
    result(name + ' counters', ok, 'counters moved by %s, expected %s'
           % (delta, expect))
    st = fe.status()
    result(name + ' status', st & S_NEEDS_RESET == 0 and st & S_DRIVER_OK,
           'device status %#x afterwards' % st)


def run_flip(fe, seconds):
    """The avail index back and forth between two values, with doorbells."""
    vq = fe.queues[OUTPUTQ]
    (segs, _), = chains(fe, 'a')
    head = post(fe, vq, segs, 0)
    base = vq['avail_idx']
    fe.B.w16(vq['avail'] + 4 + 2 * (base % QSIZE), head)
    before = fe.counters()
    end = time.monotonic() + seconds
    flips = 0
    slowest = 0
    while time.monotonic() < end:
        t = time.monotonic()
        fe.B.w16(vq['avail'] + 2, (base + 1) & 0xffff)
        fe.kick(OUTPUTQ)
        fe.B.w16(vq['avail'] + 2, base)
        fe.kick(OUTPUTQ)
        flips += 1
        slowest = max(slowest, time.monotonic() - t)
    fe.B.w16(vq['avail'] + 2, (base + 1) & 0xffff)
    fe.kick(OUTPUTQ)
    time.sleep(0.5)
    st = fe.status()
    now = fe.counters()
    was = vq['used_idx']
    got = fe.used(vq)
    say('flip: %d flips in %g s (slowest %.3f s), then status %#x, used idx '
        '%d (was %d), counters moved by %s' % (
            flips, seconds, slowest, st, vq['used_idx'], was,
            {c: now[c] - before[c] for c in COUNTERS if now[c] != before[c]}))
    result('flip used', got in ([], [(head, 0)]),
           'the one chain came back at most once, as given: %s' % got)
    result('flip responsive', slowest < 1.0,
           'doorbells kept going through %d flips, the slowest took %.3f s'
           % (flips, slowest))
    # The device must still answer: reset it, and start it again.
    try:
        t = time.monotonic()
        fe.start()
        result('flip reset', True, 'the device reset and started again in '
               '%.3f s (status was %#x%s)' % (
                   time.monotonic() - t, st,
                   ', NEEDS_RESET' if st & S_NEEDS_RESET else ''))
    except SetupError as e:
        result('flip reset', False, str(e))
        return
    run_case(fe, 'a')


def find_counters(info, tool):
    dev = os.path.basename(os.path.normpath(tool))
    sides = parse_info(info)
    peers = [s['dev'] for s in sides if s['dev'] != dev]
    for d in glob.glob('/sys/bus/vhost/devices/*'):
        real = os.path.realpath(d)
        if any('/%s/' % p in real for p in peers) and \
           os.path.isdir(os.path.join(d, 'rpmsg')):
            return os.path.join(d, 'rpmsg')
    return None


def main():
    ap = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        epilog='CASE is one of a b c d e past ctrl write loop batch flip',
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('tool', metavar='NTB_TOOL_DIR',
                    help="ntb_tool's debugfs directory of our NTB device")
    ap.add_argument('info', metavar='SIM_INFO', help="ntb_hw_sim's pair info")
    ap.add_argument('cases', metavar='CASE', nargs='*')
    ap.add_argument('-c', '--counters', metavar='DIR',
                    help="vhost_rpmsg's counters (default: found in "
                    "/sys/bus/vhost/devices/*/rpmsg below the other side)")
    ap.add_argument('-w', '--window', type=int, default=0,
                    help='our inbound window index (default 0)')
    ap.add_argument('-t', '--timeout', type=float, default=10,
                    help='seconds to wait for the backend (default 10)')
    ap.add_argument('-f', '--flip-seconds', type=float, default=2)
    ap.add_argument('-k', '--keep', action='store_true',
                    help='leave the device running at the end (default: '
                    'reset it)')
    args = ap.parse_args()

    for c in args.cases:
        if c != 'flip' and c not in 'a b c d e past ctrl write loop batch'.split():
            ap.error('unknown case %s' % c)
    counters = args.counters or find_counters(args.info, args.tool)
    if not counters:
        say('no vhost_rpmsg counters found')
        return 3
    fe = Frontend(args.tool, args.info, counters, args.window, args.timeout)
    try:
        fe.handshake()
        result('handshake', True, 'connected to the backend')
        fe.wait_device()
        fe.start()
        result('start', True, 'virtio-rpmsg device at DRIVER_OK')
    except (SetupError, OSError) as e:
        say('setup: %s' % e)
        result('setup', False, str(e))
        return 3
    say('counters in %s: %s' % (counters, fe.counters()))

    for c in args.cases:
        try:
            if c == 'flip':
                run_flip(fe, args.flip_seconds)
            else:
                run_case(fe, c)
        except (SetupError, OSError) as e:
            result(c, False, str(e))
    got = fe.used(fe.queues[INPUTQ])
    say('the backend wrote %d message(s) on the input queue' % len(got))
    if not args.keep:
        try:
            st = fe.set_status(0)
            result('reset', st == 0, 'the device reset at the end')
        except SetupError as e:
            result('reset', False, str(e))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())

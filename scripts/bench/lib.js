'use strict';
/**
 * Helpers shared by the load benchmark (scripts/bench/load) and the soak test (scripts/soak):
 * processes with their output, free ports, memory of a process tree, phantom copies with new UIDs,
 * and a minimal hand-made DICOM peer (association, C-ECHO, hostile PDUs) for measuring latency.
 * Everything runs on loopback and stops by itself.
 */
const { spawn } = require('node:child_process');
const { mkdirSync, readdirSync, readFileSync, writeFileSync } = require('node:fs');
const net = require('node:net');
const { randomInt } = require('node:crypto');
const { join } = require('node:path');

const ROOT = join(__dirname, '..', '..');
const PHANTOM = join(ROOT, '..', 'shared', 'data', 'ibsi-ct-phantom', 'dicom');
const PEER_ENV = { ...process.env, TCP_NODELAY: '1' };

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const percentile = (v, p) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const fmt = (v, d = 1) => (v === undefined || Number.isNaN(v) ? '-' : v.toFixed(d));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(what, check, timeoutMs, everyMs = 50) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** A child process with its output kept. */
function startProcess(command, args, options = {}) {
  const child = spawn(command, args, { env: PEER_ENV, stdio: ['ignore', 'pipe', 'pipe'], ...options });
  let text = '';
  child.stdout.setEncoding('utf8').on('data', (c) => (text += c));
  child.stderr.setEncoding('utf8').on('data', (c) => (text += c));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    output: () => text,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), 15000);
      const r = await exited;
      clearTimeout(t);
      return r;
    },
  };
}

/** Runs a command to its end; resolves with its exit code and output. */
async function run(command, args, options = {}) {
  const p = startProcess(command, args, options);
  const t = setTimeout(() => p.child.kill('SIGKILL'), options.timeoutMs ?? 600000);
  const r = await p.exited;
  clearTimeout(t);
  return { ...r, output: p.output() };
}

async function waitPort(port, timeoutMs = 30000) {
  await waitFor(
    `a listener on port ${port}`,
    () =>
      new Promise((resolve) => {
        const c = net.connect(port, '127.0.0.1');
        c.once('connect', () => (c.destroy(), resolve(true)));
        c.once('error', () => resolve(false));
      }),
    timeoutMs,
    100,
  );
}

/** RSS in MiB of a process and all its descendants (Linux /proc). */
function treeRssMb(pid) {
  let total = 0;
  const kids = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!kids.has(ppid)) kids.set(ppid, []);
      kids.get(ppid).push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  const visit = (p) => {
    try {
      total += Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0) / 1024;
    } catch {
      // gone meanwhile
    }
    for (const k of kids.get(p) ?? []) visit(k);
  };
  visit(pid);
  return total;
}

/** Samples `measure()` every `everyMs` until stopped; returns the peak. */
function sampler(measure, everyMs = 100) {
  let peak = measure();
  const timer = setInterval(() => (peak = Math.max(peak, measure())), everyMs);
  return {
    stop() {
      clearInterval(timer);
      return (peak = Math.max(peak, measure()));
    },
  };
}

// ---- phantom copies -------------------------------------------------------------------------

/** Every UID-like string (digits and dots, 10+ chars) in the phantom's files, per file. */
function phantomFiles() {
  const files = [...readdirSync(join(PHANTOM, 'image')).map((f) => join(PHANTOM, 'image', f)), join(PHANTOM, 'mask', 'DCM_RS_00060.dcm')];
  return files.map((path) => ({ path, bytes: readFileSync(path) }));
}

/** A random UID of exactly `length` characters (so that no length field changes). */
function sameLengthUid(length) {
  let s = '2.25.';
  s += String(randomInt(1, 10));
  while (s.length < length) s += String(randomInt(0, 10));
  return s;
}

/**
 * Writes `copies` copies of the IBSI phantom (60 CT + RTSTRUCT) under `dir`/<n>/, each a new study:
 * every UID of the original (study, series, instances, frame of reference, and the RTSTRUCT's
 * references to them) replaced by a fresh one of the same length. Returns the copy directories.
 */
function makePhantomCopies(dir, copies) {
  const originals = phantomFiles();
  const rtstruct = originals[originals.length - 1].bytes;
  // The UIDs are the values the RTSTRUCT refers to, plus each file's own: collect from the RTSTRUCT
  // and the CT headers (their first 4 kB) every run of digits and dots that looks like a UID.
  const uids = new Set();
  const collect = (buf) => {
    for (const m of buf.toString('latin1').matchAll(/[0-9]+(?:\.[0-9]+){4,}/g)) if (m[0].length >= 20 && !m[0].startsWith('1.2.840.10008.')) uids.add(m[0]);
  };
  collect(rtstruct);
  for (const f of originals) collect(f.bytes.subarray(0, 4096));
  const list = [...uids].sort((a, b) => b.length - a.length);
  const out = [];
  for (let c = 1; c <= copies; c++) {
    const target = join(dir, String(c));
    mkdirSync(target, { recursive: true });
    const map = new Map(list.map((u) => [u, Buffer.from(sameLengthUid(u.length), 'latin1')]));
    for (const f of originals) {
      const b = Buffer.from(f.bytes);
      const scan = f.bytes === rtstruct ? b.length : Math.min(b.length, 4096);
      for (const [uid, fresh] of map) {
        const needle = Buffer.from(uid, 'latin1');
        for (let at = b.indexOf(needle); at >= 0 && at < scan; at = b.indexOf(needle, at + needle.length)) {
          // Whole values only: the next byte ends the value (NUL pad, end, or the next tag).
          const next = b[at + needle.length];
          if (next === 0 || next === undefined || next < 0x2e || next > 0x39) fresh.copy(b, at);
        }
      }
      writeFileSync(join(target, f.path.slice(PHANTOM.length + 1).replace('/', '_')), b);
    }
    out.push(target);
  }
  return out;
}

// ---- a minimal DICOM peer --------------------------------------------------------------------

const pad16 = (ae) => Buffer.from(ae.padEnd(16, ' ').slice(0, 16), 'latin1');
function item(type, body) {
  const h = Buffer.alloc(4);
  h.writeUInt8(type, 0);
  h.writeUInt16BE(body.length, 2);
  return Buffer.concat([h, body]);
}
function pduHeader(type, length) {
  const h = Buffer.alloc(6);
  h.writeUInt8(type, 0);
  h.writeUInt32BE(length >>> 0, 2);
  return h;
}
/** A-ASSOCIATE-RQ proposing Verification. */
function associateRq(calling, called) {
  const max = Buffer.alloc(4);
  max.writeUInt32BE(16384, 0);
  const body = Buffer.concat([
    Buffer.from([0, 1, 0, 0]),
    pad16(called),
    pad16(calling),
    Buffer.alloc(32),
    item(0x10, Buffer.from('1.2.840.10008.3.1.1.1')),
    item(0x20, Buffer.concat([Buffer.from([1, 0, 0, 0]), item(0x30, Buffer.from('1.2.840.10008.1.1')), item(0x40, Buffer.from('1.2.840.10008.1.2'))])),
    item(0x50, Buffer.concat([item(0x51, max), item(0x52, Buffer.from('1.2.3.4'))])),
  ]);
  return Buffer.concat([pduHeader(1, body.length), body]);
}
/** P-DATA-TF with a C-ECHO-RQ on presentation context 1. */
function echoRq() {
  const el = (e, v) => {
    const h = Buffer.alloc(8);
    h.writeUInt16LE(0, 0);
    h.writeUInt16LE(e, 2);
    h.writeUInt32LE(v.length, 4);
    return Buffer.concat([h, v]);
  };
  const us = (n) => Buffer.from([n & 0xff, n >> 8]);
  const body = Buffer.concat([el(0x0002, Buffer.from('1.2.840.10008.1.1\0')), el(0x0100, us(0x30)), el(0x0110, us(1)), el(0x0800, us(0x0101))]);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(body.length, 0);
  const command = Buffer.concat([el(0x0000, len), body]);
  const pdv = Buffer.alloc(6);
  pdv.writeUInt32BE(command.length + 2, 0);
  pdv.writeUInt8(1, 4);
  pdv.writeUInt8(3, 5);
  return Buffer.concat([pduHeader(4, command.length + 6), pdv, command]);
}

/** Connects, reads whole PDUs; `next()` resolves with the next one (undefined when closed). */
function dicomConnection(port, options = {}) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress: options.localAddress, noDelay: true });
    let pending = Buffer.alloc(0);
    const queue = [];
    const waiters = [];
    let closed = false;
    socket.on('data', (d) => {
      pending = Buffer.concat([pending, d]);
      while (pending.length >= 6 && pending.length >= 6 + pending.readUInt32BE(2)) {
        const pdu = pending.subarray(0, 6 + pending.readUInt32BE(2));
        pending = pending.subarray(pdu.length);
        const w = waiters.shift();
        if (w) w(pdu);
        else queue.push(pdu);
      }
    });
    socket.on('close', () => {
      closed = true;
      for (const w of waiters.splice(0)) w(undefined);
    });
    socket.once('error', (e) => (closed ? undefined : reject(e)));
    socket.once('connect', () => {
      socket.on('error', () => undefined);
      resolve({
        socket,
        next: () => (queue.length ? Promise.resolve(queue.shift()) : closed ? Promise.resolve(undefined) : new Promise((r) => waiters.push(r))),
      });
    });
  });
}

/** One whole verification: connect, associate, C-ECHO, release. Returns the times in ms. */
async function timedEcho(port, calling = 'LATENCY') {
  const t0 = performance.now();
  const c = await dicomConnection(port);
  try {
    c.socket.write(associateRq(calling, 'CD8NODE'));
    const ac = await c.next();
    if (ac?.readUInt8(0) !== 2) throw new Error(`association not accepted (PDU ${ac?.readUInt8(0)})`);
    const t1 = performance.now();
    c.socket.write(echoRq());
    const rsp = await c.next();
    if (rsp?.readUInt8(0) !== 4) throw new Error('no C-ECHO response');
    const t2 = performance.now();
    c.socket.write(Buffer.concat([pduHeader(5, 4), Buffer.alloc(4)]));
    await c.next();
    return { totalMs: performance.now() - t0, echoMs: t2 - t1 };
  } finally {
    c.socket.destroy();
  }
}

module.exports = {
  ROOT,
  PHANTOM,
  PEER_ENV,
  sleep,
  median,
  percentile,
  fmt,
  freePort,
  waitFor,
  startProcess,
  run,
  waitPort,
  treeRssMb,
  sampler,
  makePhantomCopies,
  associateRq,
  pduHeader,
  dicomConnection,
  timedEcho,
};

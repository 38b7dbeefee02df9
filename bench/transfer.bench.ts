// `npm run bench -- transfer [--json] [--mb 80] [--in-flight 8] [--reps 3]`: one blob (default 80 MB, a
// DenseNet201 f32 update) through the chunked protocol of @fedaln/protocol (ChunkSender → the
// coordinator's UploadSpool, 1 MiB binary frames with acks, several in flight) over socket.io on
// loopback, against the peer measured in the same run: the same bytes over a raw TCP socket
// (node:net) on loopback. Both receivers run in a child process, hash the bytes (sha256) and write
// them to a file, so they do the same work; each reports its peak RSS (VmHWM). ratio_vs_tcp = TCP time /
// socket.io time (throughput relative to raw TCP; target ≥ 0.4), each the best of --reps runs.
// ws_native_mask: whether ws found bufferutil (an optional dependency of the coordinator and the site
// client); without it ws masks and unmasks every client frame in JavaScript, which took about 60 %
// of the socket.io time (ratio ≈ 0.35 instead of ≈ 0.75).
import {
  ChunkSender,
  FRAME_BYTES,
  FRAMES_IN_FLIGHT,
  SOCKET_MAX_BUFFER_BYTES,
  SITE_NAMESPACE,
  SiteEvent,
  type ClientToServerEvents,
  type InterServerEvents,
  type ServerToClientEvents,
  type SocketData,
} from '@fedaln/protocol';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Server } from 'socket.io';
import { UploadSpool } from '../apps/coordinator/src/uploads/upload-spool';
import { io, type Socket } from 'socket.io-client';
import { benchFlags } from './support/flags';

/** Resident set size now and at its peak, from /proc (Linux), in MB. */
function rss(): { now: number; peak: number } {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { now: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/** The TCP receiver writes what arrives to a temporary file at its offset (as the coordinator's spool does). */
function fileSink() {
  const file = path.join(os.tmpdir(), `fedaln-transfer-${randomBytes(4).toString('hex')}`);
  const fd = fs.openSync(file, 'w');
  return {
    write: (chunk: Uint8Array, offset: number) => void fs.writeSync(fd, chunk, 0, chunk.length, offset),
    close: () => {
      fs.closeSync(fd);
      fs.rmSync(file, { force: true });
    },
  };
}

function finishReceiver(sha256Ok: boolean, idle: number): void {
  const r = rss();
  process.stdout.write(
    `${JSON.stringify({ done: true, sha256_ok: sha256Ok, idle_rss_mb: idle, peak_rss_mb: r.peak })}\n`,
  );
  setTimeout(() => process.exit(0), 50);
}

function socketIoReceiver(): void {
  const idle = rss().now;
  const server = new Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>({
    maxHttpBufferSize: SOCKET_MAX_BUFFER_BYTES,
    perMessageDeflate: false,
  });
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-transfer-'));
  let spool: UploadSpool | null = null;
  server.of(SITE_NAMESPACE).on('connection', (socket) => {
    socket.on(SiteEvent.uploadBegin, (req, ack) => {
      const key = {
        studyId: req.study_id,
        round: req.round,
        siteId: 'bench',
        sha256: req.sha256,
        bytes: req.bytes,
      };
      spool = UploadSpool.open(root, key);
      ack({ ok: true, upload_id: 'bench', next_frame: spool.nextFrame, frame_bytes: FRAME_BYTES });
    });
    socket.on(SiteEvent.uploadFrame, ({ index, data }, ack) => {
      const a = (spool as UploadSpool).accept(index, data);
      ack(a.ok ? { ok: true, index: a.index, next_frame: a.next_frame } : a);
    });
    socket.on(SiteEvent.uploadEnd, (_req, ack) => {
      const done = (spool as UploadSpool).finish();
      fs.rmSync(root, { recursive: true, force: true });
      ack(done);
      finishReceiver(done.ok, idle);
    });
  });
  server.listen(0);
  const port = (server as unknown as { httpServer: net.Server }).httpServer.address() as net.AddressInfo;
  process.stdout.write(`${JSON.stringify({ port: port.port })}\n`);
}

function tcpReceiver(): void {
  const idle = rss().now;
  const srv = net.createServer((socket) => {
    let header = '';
    let total = -1;
    let expected = '';
    let got = 0;
    const hash = createHash('sha256');
    const sink = fileSink();
    socket.on('data', (chunk: Buffer) => {
      if (total < 0) {
        header += chunk.toString('latin1');
        const nl = header.indexOf('\n');
        if (nl < 0) return;
        [expected, total] = ((h) => [h.sha256, h.bytes])(
          JSON.parse(header.slice(0, nl)) as { sha256: string; bytes: number },
        );
        chunk = Buffer.from(header.slice(nl + 1), 'latin1');
      }
      sink.write(chunk, got);
      hash.update(chunk);
      got += chunk.length;
      if (got === total) {
        sink.close();
        const ok = hash.digest('hex') === expected;
        socket.end('k');
        finishReceiver(ok, idle);
      }
    });
  });
  srv.listen(0, '127.0.0.1', () =>
    process.stdout.write(`${JSON.stringify({ port: (srv.address() as net.AddressInfo).port })}\n`),
  );
}

/** Whether ws masks client frames with bufferutil's native code (it falls back to JavaScript silently). */
function nativeMask(): boolean {
  if (process.env.WS_NO_BUFFER_UTIL) return false;
  try {
    const { mask } = require('bufferutil') as { mask: (...args: unknown[]) => void };
    return String(mask).includes('[native code]'); // bufferutil's own fallback is JavaScript too
  } catch {
    return false;
  }
}

interface ReceiverReport {
  sha256_ok: boolean;
  idle_rss_mb: number;
  peak_rss_mb: number;
}

/** Starts a receiver child; resolves its port and a promise of its final report. */
function startReceiver(role: string): Promise<{ port: number; report: Promise<ReceiverReport> }> {
  const child = spawn(
    process.execPath,
    // --cpu-prof* flags pass through, so `node --cpu-prof --import tsx bench/transfer.bench.ts` profiles both ends.
    [
      ...process.execArgv.filter((a) => a.startsWith('--cpu-prof')),
      '--import',
      'tsx',
      __filename,
      '--role',
      role,
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  let resolveReport: (r: ReceiverReport) => void;
  const report = new Promise<ReceiverReport>((r) => (resolveReport = r));
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => code !== 0 && reject(new Error(`${role} receiver exited with ${code}`)));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      for (const line of out.split('\n').slice(0, -1)) {
        const msg = JSON.parse(line) as { port?: number; done?: boolean } & ReceiverReport;
        if (msg.port !== undefined) resolve({ port: msg.port, report });
        if (msg.done) resolveReport(msg);
      }
      out = out.slice(out.lastIndexOf('\n') + 1);
    });
  });
}

async function overSocketIo(blob: Buffer, sha256: string, inFlight: number) {
  const { port, report } = await startReceiver('sio');
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(
    `http://127.0.0.1:${port}${SITE_NAMESPACE}`,
    {
      transports: ['websocket'],
      perMessageDeflate: false,
    } as never,
  );
  await new Promise((r) => socket.once('connect', () => r(undefined)));
  const t0 = process.hrtime.bigint();
  const begin = await socket.emitWithAck(SiteEvent.uploadBegin, {
    study_id: 'bench',
    round: 1,
    sha256,
    bytes: blob.length,
    n_train: 1,
  });
  if (!begin.ok) throw new Error(begin.message);
  await new ChunkSender(
    blob,
    (index, data) => socket.emitWithAck(SiteEvent.uploadFrame, { upload_id: begin.upload_id, index, data }),
    {
      inFlight,
    },
  ).send();
  const end = await socket.emitWithAck(SiteEvent.uploadEnd, { upload_id: begin.upload_id });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  socket.close();
  if (!end.ok) throw new Error(end.message);
  return { ms, ...(await report) };
}

async function overTcp(blob: Buffer, sha256: string) {
  const { port, report } = await startReceiver('tcp');
  const socket = net.connect(port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  const t0 = process.hrtime.bigint();
  const acked = new Promise((r) => socket.once('data', r));
  socket.write(`${JSON.stringify({ sha256, bytes: blob.length })}\n`);
  for (let at = 0; at < blob.length; at += FRAME_BYTES) {
    if (!socket.write(blob.subarray(at, Math.min(blob.length, at + FRAME_BYTES)))) {
      await new Promise((r) => socket.once('drain', r));
    }
  }
  await acked;
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  socket.destroy();
  return { ms, ...(await report) };
}

async function main(): Promise<void> {
  const flags = benchFlags({ json: false, role: '', mb: 80, 'in-flight': FRAMES_IN_FLIGHT, reps: 3 });
  if (flags.role === 'sio') return socketIoReceiver();
  if (flags.role === 'tcp') return tcpReceiver();
  const { mb, 'in-flight': inFlight, reps } = flags;
  const blob = randomBytes(Math.round(mb * 1e6));
  const sha256 = createHash('sha256').update(blob).digest('hex');
  const best = <T extends { ms: number }>(a: T | null, b: T): T => (a === null || b.ms < a.ms ? b : a);
  let tcp: Awaited<ReturnType<typeof overTcp>> | null = null;
  let sio: Awaited<ReturnType<typeof overSocketIo>> | null = null;
  for (let r = 0; r < reps; r++) {
    tcp = best(tcp, await overTcp(blob, sha256));
    sio = best(sio, await overSocketIo(blob, sha256, inFlight));
  }
  if (!tcp || !sio) throw new Error('--reps must be at least 1');
  if (!tcp.sha256_ok || !sio.sha256_ok) throw new Error('a receiver saw different bytes than were sent');
  const row = {
    name: 'transfer',
    bytes: blob.length,
    in_flight: inFlight,
    socketio_ms: +sio.ms.toFixed(1),
    socketio_mb_per_s: +(blob.length / 1e6 / (sio.ms / 1000)).toFixed(1),
    tcp_ms: +tcp.ms.toFixed(1),
    tcp_mb_per_s: +(blob.length / 1e6 / (tcp.ms / 1000)).toFixed(1),
    ratio_vs_tcp: +(tcp.ms / sio.ms).toFixed(2),
    receiver_peak_rss_mb: +sio.peak_rss_mb.toFixed(1),
    receiver_idle_rss_mb: +sio.idle_rss_mb.toFixed(1),
    tcp_receiver_peak_rss_mb: +tcp.peak_rss_mb.toFixed(1),
    tcp_receiver_idle_rss_mb: +tcp.idle_rss_mb.toFixed(1),
    ws_native_mask: nativeMask(),
  };
  if (flags.json) {
    console.log(JSON.stringify(row));
    return;
  }
  console.log(
    `chunked transfer of ${(blob.length / 1e6).toFixed(0)} MB on loopback (${inFlight} frames in flight)`,
  );
  console.log(
    `  socket.io  ${row.socketio_ms} ms  ${row.socketio_mb_per_s} MB/s  receiver peak RSS ${row.receiver_peak_rss_mb} MB (idle ${row.receiver_idle_rss_mb})`,
  );
  console.log(
    `  raw TCP    ${row.tcp_ms} ms  ${row.tcp_mb_per_s} MB/s  receiver peak RSS ${row.tcp_receiver_peak_rss_mb} MB (idle ${row.tcp_receiver_idle_rss_mb})`,
  );
  console.log(`  ratio_vs_tcp ${row.ratio_vs_tcp} (target ≥ 0.4)`);
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

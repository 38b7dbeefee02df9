// The demo's child processes: each one's output goes to its own log file (and, for the site
// clients, line by line to a callback); every child still running is killed when the demo ends.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');

/** How many of a child's last log lines a failure report shows. */
const TAIL_LINES = 25;

const running = new Set();

/** A child that failed: the message names it, its exit and its last log lines. */
class ChildFailed extends Error {}

class Child {
  /**
   * @param {string} name what the demo calls it in messages ("coordinator", "site2")
   * @param {string[]} args node arguments (a bin script and its flags)
   * @param {{ logFile: string, env?: NodeJS.ProcessEnv, onLine?: (line: string) => void, detached?: boolean }} o
   */
  constructor(name, args, o) {
    this.name = name;
    this.logFile = o.logFile;
    this.tail = [];
    /** Everything the child wrote to stdout (a `--json` report), when not detached. */
    this.stdout = '';
    const log = fs.openSync(o.logFile, 'a');
    // A detached child (--keep) writes straight to its file: no pipe that breaks when the demo exits.
    const stdio = o.detached ? ['ignore', log, log] : ['ignore', 'pipe', 'pipe'];
    this.process = spawn(process.execPath, args, { env: o.env ?? process.env, stdio, detached: o.detached });
    this.exited = new Promise((resolve) =>
      this.process.once('exit', (code, signal) => {
        running.delete(this);
        resolve({ code, signal });
      }),
    );
    running.add(this);
    if (o.detached) {
      fs.closeSync(log);
      return;
    }
    const out = fs.createWriteStream('', { fd: log });
    for (const stream of [this.process.stdout, this.process.stderr]) {
      let partial = '';
      stream.on('data', (chunk) => {
        out.write(chunk);
        if (stream === this.process.stdout) this.stdout += chunk.toString();
        const lines = (partial + chunk.toString()).split('\n');
        partial = lines.pop();
        for (const line of lines) {
          this.tail.push(line);
          if (this.tail.length > TAIL_LINES) this.tail.shift();
          o.onLine?.(line);
        }
      });
    }
    this.exited.then(() => out.end());
  }

  get alive() {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** The last lines of its log, read from the file (a detached child has no tail in memory). */
  lastLines() {
    if (this.tail.length > 0) return this.tail;
    try {
      return fs.readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-TAIL_LINES);
    } catch {
      return [];
    }
  }

  /** An error naming this child, why it is reported, and its last log lines. */
  failure(why) {
    const lines = this.lastLines().map((l) => `  | ${l}`);
    return new ChildFailed(
      `${this.name} ${why}; its last log lines (all in ${this.logFile}):\n${lines.join('\n')}`,
    );
  }

  /** Resolves with the exit code; rejects with {@link failure} on another code. */
  async expectExit(code = 0) {
    const end = await this.exited;
    if (end.code !== code) throw this.failure(`exited with ${end.signal ?? `code ${end.code}`}`);
    return end;
  }

  /** Sends `signal`, then SIGKILL if it is still running after `graceMs`. */
  async stop(signal = 'SIGTERM', graceMs = 5000) {
    if (!this.alive) return;
    this.process.kill(signal);
    const timer = setTimeout(() => this.alive && this.process.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Lets the demo exit while this child keeps running (--keep). */
  release() {
    running.delete(this);
    this.process.unref();
  }
}

/**
 * Runs a node bin to its end and resolves the child; rejects with its last log lines unless it exits 0.
 * @example const gen = await runToEnd('phantom', [bin, '--out', dir], { logFile });
 */
async function runToEnd(name, args, o) {
  const child = new Child(name, args, o);
  await child.expectExit(0);
  return child;
}

/** Stops every child still running (SIGTERM, SIGKILL after a grace period). */
function stopAll(graceMs = 5000) {
  return Promise.all([...running].map((c) => c.stop('SIGTERM', graceMs)));
}

// Whatever way the demo ends, no child outlives it (the synchronous last resort).
process.once('exit', () => {
  for (const c of running) if (c.alive) c.process.kill('SIGKILL');
});

module.exports = { Child, ChildFailed, runToEnd, stopAll };

import { renderBar, type BarInput } from './render-bar';

export interface ProgressOutput {
  isTTY?: boolean;
  write(text: string): boolean;
}

/**
 * A progress display on one stream: on a terminal the bar redraws in place (`\r`, at most every
 * 100 ms); otherwise a plain log line is written at most every `logEveryMs` (and at the end), so logs
 * from a service manager stay readable.
 */
export class ProgressLine {
  private lastDraw = -Infinity;
  private drawn = false;

  constructor(
    private readonly out: ProgressOutput,
    private readonly logEveryMs = 10_000,
    private readonly now: () => number = () => Date.now(),
  ) {}

  update(input: BarInput): void {
    const done = input.done >= input.total;
    const t = this.now();
    if (this.out.isTTY) {
      if (!done && t - this.lastDraw < 100) return;
      this.out.write(`\r${renderBar(input)}\x1b[K`);
      this.drawn = true;
    } else {
      if (!done && t - this.lastDraw < this.logEveryMs) return;
      this.out.write(`${renderBar({ ...input, width: 20 })}\n`);
    }
    this.lastDraw = t;
  }

  /** Ends the bar's line on a terminal, so the next log starts on a fresh line. */
  end(): void {
    if (this.out.isTTY && this.drawn) this.out.write('\n');
    this.drawn = false;
    this.lastDraw = -Infinity;
  }
}

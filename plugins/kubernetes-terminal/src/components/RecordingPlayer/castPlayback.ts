import {
  parseAsciicastSize,
  type Asciicast,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';

/** What a player does to its terminal, in order. @internal */
export type PlaybackStep =
  | { kind: 'output'; data: string }
  | { kind: 'resize'; cols: number; rows: number };

/** A command marker on the timeline. @internal */
export interface PlaybackMarker {
  time: number;
  label: string;
}

/**
 * A recording made ready to play: times with long pauses shortened (as `asciinema play -i` does),
 * and the markers of recorded commands.
 *
 * @internal
 */
export class CastTimeline {
  readonly cols: number;
  readonly rows: number;
  readonly duration: number;
  readonly markers: PlaybackMarker[];
  private readonly times: number[];
  private readonly steps: PlaybackStep[];

  constructor(cast: Asciicast, options: { idleLimit?: number } = {}) {
    this.cols = cast.header.width;
    this.rows = cast.header.height;
    const limit = options.idleLimit ?? Infinity;
    this.times = [];
    this.steps = [];
    this.markers = [];
    let shift = 0;
    let last = 0;
    for (const [time, code, data] of cast.events) {
      // A pause longer than the limit is cut to it; everything after moves up.
      shift += Math.max(0, time - last - limit);
      last = time;
      const at = time - shift;
      if (code === 'o') {
        this.push(at, { kind: 'output', data });
      } else if (code === 'r') {
        const size = parseAsciicastSize(data);
        if (size) this.push(at, { kind: 'resize', ...size });
      } else if (code === 'm') {
        this.markers.push({ time: at, label: data });
      }
    }
    this.duration = Math.max(
      this.times[this.times.length - 1] ?? 0,
      this.markers[this.markers.length - 1]?.time ?? 0,
    );
  }

  /** How many steps happen at or before `time`. */
  countUntil(time: number): number {
    let lo = 0;
    let hi = this.times.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.times[mid] <= time) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Steps `from` (inclusive) to `to` (exclusive), neighbouring outputs joined. */
  stepsBetween(from: number, to: number): PlaybackStep[] {
    const out: PlaybackStep[] = [];
    for (let i = from; i < to; i++) {
      const step = this.steps[i];
      const previous = out[out.length - 1];
      if (step.kind === 'output' && previous?.kind === 'output') {
        out[out.length - 1] = {
          kind: 'output',
          data: previous.data + step.data,
        };
      } else {
        out.push(step);
      }
    }
    return out;
  }

  private push(time: number, step: PlaybackStep) {
    this.times.push(time);
    this.steps.push(step);
  }
}

/** `m:ss`, or `h:mm:ss` from an hour. @internal */
export function formatPlaybackTime(seconds: number): string {
  const total = Math.max(0, Math.floor(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

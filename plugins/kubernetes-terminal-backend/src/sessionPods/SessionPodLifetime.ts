import type { LoggerService } from '@backstage/backend-plugin-api';
import {
  TerminalCloseCode,
  type TerminalSessionExpiry,
  type TerminalServerMessage,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import type { NewAuditEvent } from '../database/SessionStore';
import type { RelayControl } from '../sessions/SessionTracker';
import type { SessionPodExpiryState } from './podStatus';
import { SessionPodCapError } from './SessionPodObjects';
import type { SessionPodsConfig } from './sessionPodsConfig';

/** What a lifetime acts on: the pod's stored expiry, its deletion, its extension. @internal */
export interface SessionPodLifetimeBackend {
  /** The expiry stored on the pod; undefined once the pod is gone. */
  currentExpiry(): Promise<SessionPodExpiryState | undefined>;
  /** Deletes the pod and every object of its session. */
  expire(): Promise<void>;
  /** Extends the pod (and tells every lifetime of the pod on this replica). */
  extend(): Promise<TerminalSessionExpiry>;
}

/** @internal */
export interface SessionPodLifetimeOptions {
  backend: SessionPodLifetimeBackend;
  config: Pick<SessionPodsConfig, 'warningBeforeMs' | 'extendByMs'>;
  relay: RelayControl & { detachUpstream(): void };
  /** Records an audit event of this session. */
  record(event: Omit<NewAuditEvent, 'userEntityRef'>): void;
  logger: LoggerService;
  now?: () => number;
}

/** @internal */
export function toTerminalExpiry(
  state: SessionPodExpiryState,
  extendByMs: number,
): TerminalSessionExpiry {
  return {
    expiresAt: state.expiresAt.toISOString(),
    maxExpiresAt: state.maxExpiresAt.toISOString(),
    canExtend: state.expiresAt < state.maxExpiresAt,
    extendBySeconds: Math.round(extendByMs / 1000),
  };
}

/**
 * The expiry of one connection to a session pod: tells the browser the expiry on connect and after
 * each extension, warns it repeatedly from `warningBefore` on, and at expiry deletes the pod's
 * objects and closes with {@link TerminalCloseCode.Expired}. The pod's annotation is the truth: it is
 * read again before each warning and before expiring, so an extension from another tab or replica
 * counts.
 *
 * @internal
 */
export class SessionPodLifetime {
  private state?: SessionPodExpiryState;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private warned = false;
  private readonly now: () => number;

  constructor(private readonly options: SessionPodLifetimeOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Warnings repeat every minute for the default five-minute warning, proportionally otherwise. */
  private get warnIntervalMs(): number {
    return Math.min(
      60_000,
      Math.max(1000, this.options.config.warningBeforeMs / 5),
    );
  }

  start(state: SessionPodExpiryState) {
    this.state = state;
    this.sendExpiry();
    this.schedule();
  }

  /** The pod's expiry changed on this replica (another tab extended it). */
  update(state: SessionPodExpiryState) {
    if (this.stopped) {
      return;
    }
    this.state = state;
    this.sendExpiry();
    this.schedule();
  }

  /** The browser asked to extend; the answer is an `expiry` message. */
  async extend(): Promise<void> {
    if (this.stopped || !this.state) {
      return;
    }
    try {
      // Every lifetime of the pod on this replica, this one included, is updated by the backend.
      await this.options.backend.extend();
    } catch (error) {
      if (error instanceof SessionPodCapError) {
        this.state = error.state;
      } else {
        this.options.logger.warn(
          `session pod extension failed: ${(error as Error).message}`,
        );
      }
      this.sendExpiry();
    }
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private sendExpiry() {
    const state = this.state!;
    const warning =
      state.expiresAt.getTime() - this.now() <=
      this.options.config.warningBeforeMs;
    this.warned = warning;
    const message: TerminalServerMessage = {
      type: 'expiry',
      warning,
      ...toTerminalExpiry(state, this.options.config.extendByMs),
    };
    this.options.relay.notify(message);
  }

  private schedule() {
    clearTimeout(this.timer);
    if (this.stopped || !this.state) {
      return;
    }
    const now = this.now();
    const expiresAt = this.state.expiresAt.getTime();
    const warnAt = expiresAt - this.options.config.warningBeforeMs;
    const next =
      now < warnAt ? warnAt : Math.min(now + this.warnIntervalMs, expiresAt);
    this.timer = setTimeout(() => void this.tick(), Math.max(0, next - now));
    this.timer.unref?.();
  }

  private async tick() {
    if (this.stopped) {
      return;
    }
    let fresh: SessionPodExpiryState | undefined = this.state;
    let gone = false;
    try {
      fresh = await this.options.backend.currentExpiry();
      gone = fresh === undefined;
    } catch (error) {
      // The cluster did not answer: go by what we know.
      this.options.logger.warn(
        `session pod expiry check failed: ${(error as Error).message}`,
      );
      fresh = this.state;
    }
    if (this.stopped) {
      return;
    }
    if (fresh) {
      this.state = fresh;
    }
    const now = this.now();
    const state = this.state!;
    if (gone || now >= state.expiresAt.getTime()) {
      await this.expire(state, gone && now < state.expiresAt.getTime());
      return;
    }
    if (
      state.expiresAt.getTime() - now <= this.options.config.warningBeforeMs ||
      this.warned
    ) {
      this.sendExpiry();
    }
    this.schedule();
  }

  private async expire(state: SessionPodExpiryState, deletedEarly: boolean) {
    this.stop();
    this.options.relay.detachUpstream();
    try {
      await this.options.backend.expire();
    } catch (error) {
      this.options.logger.warn(
        `could not delete an expired session pod (the janitor will): ${
          (error as Error).message
        }`,
      );
    }
    this.options.record({
      eventType: 'expire',
      details: {
        expiresAt: state.expiresAt.toISOString(),
        ...(deletedEarly && { deletedEarly }),
      },
    });
    this.options.relay.close(
      TerminalCloseCode.Expired,
      deletedEarly
        ? 'the session pod was deleted before it expired'
        : 'the session pod expired; its objects were deleted',
    );
  }
}

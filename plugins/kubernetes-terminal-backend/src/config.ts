import type { Config } from '@backstage/config';
import { readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds } from '@backstage/types';
import {
  readDebugContainersConfig,
  type DebugContainersConfig,
} from './debugContainers/debugContainersConfig';
import {
  readSessionPodsConfig,
  type SessionPodsConfig,
} from './sessionPods/sessionPodsConfig';

/** @internal */
export interface TerminalConfig {
  shells: string[];
  ticketTtlMs: number;
  allowedOrigins: string[];
  heartbeatIntervalMs: number;
  idleAfterMs: number;
  idleDisconnectAfterMs?: number;
  maxSessionsPerUser: number;
  privateClusters: string[];
  auditFailClosed: boolean;
  retentionMs: number;
  /** Record `command_executed` events from the terminal's screen. */
  recordCommands: boolean;
  /** How long a Kubernetes API request (listing pods) may take before it fails. */
  clusterRequestTimeoutMs: number;
  sessionPods: SessionPodsConfig;
  debugContainers: DebugContainersConfig;
  recording: RecordingConfig;
  resume: ResumeConfig;
}

/** @internal */
export interface ResumeConfig {
  /** How long a session whose browser socket was lost waits to be resumed; 0 ends it at once. */
  graceMs: number;
  /** Output held for detached sessions across this backend, beyond which their containers are paused. */
  maxHeldBytes: number;
  /**
   * This replica's plugin base URL as the other replicas reach it; a resume that reaches another
   * replica is forwarded here. Unset: resumes are served only by the replica holding the session.
   */
  instanceUrl?: string;
}

/** The longest grace period: a shell held for nobody is a cost and a risk. */
const MAX_RESUME_GRACE_MS = 15 * 60_000;

/** @internal */
export interface RecordingConfig {
  enabled: boolean;
  /** Where recordings go: the portal database, or `directory`. */
  storage: 'database' | 'directory';
  directory?: string;
  maxBytesPerSession: number;
  failClosed: boolean;
}

const SHELL_PATTERN = /^[A-Za-z0-9_./-]+$/;

/** @internal */
export function readTerminalConfig(config: Config): TerminalConfig {
  const section = config.getOptionalConfig('kubernetesTerminal');
  const shells = section?.getOptionalStringArray('shells') ?? ['bash', 'sh'];
  if (shells.length === 0) {
    throw new Error('kubernetesTerminal.shells must list at least one shell');
  }
  for (const shell of shells) {
    if (!SHELL_PATTERN.test(shell)) {
      throw new Error(
        `kubernetesTerminal.shells: '${shell}' is not a plain command name or path`,
      );
    }
  }
  const duration = (key: string, fallback: number | undefined) =>
    section?.has(key)
      ? durationToMilliseconds(readDurationFromConfig(section, { key }))
      : fallback;
  const ticketTtlMs = duration('ticketTtl', 30_000)!;
  const appOrigin = new URL(config.getString('app.baseUrl')).origin;
  const allowedOrigins = [
    appOrigin,
    ...(section?.getOptionalStringArray('allowedOrigins') ?? []).map(
      o => new URL(o).origin,
    ),
  ];
  const heartbeatIntervalMs =
    (section?.getOptionalNumber('heartbeatIntervalSeconds') ?? 30) * 1000;
  const maxSessionsPerUser =
    section?.getOptionalNumber('maxSessionsPerUser') ?? 10;
  if (!Number.isInteger(maxSessionsPerUser) || maxSessionsPerUser < 1) {
    throw new Error(
      'kubernetesTerminal.maxSessionsPerUser must be a whole number of at least 1',
    );
  }
  return {
    shells,
    ticketTtlMs,
    allowedOrigins,
    heartbeatIntervalMs,
    idleAfterMs: duration('idleAfter', 5 * 60_000)!,
    idleDisconnectAfterMs: duration('idleDisconnectAfter', undefined),
    maxSessionsPerUser,
    privateClusters: section?.getOptionalStringArray('privateClusters') ?? [],
    auditFailClosed: section?.getOptionalBoolean('audit.failClosed') ?? true,
    retentionMs: duration('audit.retention', 90 * 24 * 3600_000)!,
    recordCommands: section?.getOptionalBoolean('audit.commands') ?? true,
    clusterRequestTimeoutMs: duration('clusterRequestTimeout', 10_000)!,
    sessionPods: readSessionPodsConfig(section),
    debugContainers: readDebugContainersConfig(section),
    recording: readRecordingConfig(section),
    resume: readResumeConfig(section, duration),
  };
}

function readResumeConfig(
  section: Config | undefined,
  duration: (key: string, fallback: number) => number | undefined,
): ResumeConfig {
  const graceMs = section?.has('resume.grace')
    ? duration('resume.grace', 0)!
    : 2 * 60_000;
  if (!(graceMs >= 0) || graceMs > MAX_RESUME_GRACE_MS) {
    throw new Error(
      'kubernetesTerminal.resume.grace must be between 0 (sessions end with their socket) and 15 minutes',
    );
  }
  const megabytes =
    section?.getOptionalNumber('resume.maxHeldMegabytes') ?? 256;
  if (!(megabytes >= 1) || megabytes > 65536) {
    throw new Error(
      'kubernetesTerminal.resume.maxHeldMegabytes must be at least 1 and at most 65536',
    );
  }
  const instanceUrl = section?.getOptionalString('resume.instanceUrl');
  if (instanceUrl !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(instanceUrl);
    } catch {
      url = undefined;
    }
    if (
      !url ||
      !/^https?:$/.test(url.protocol) ||
      url.username ||
      url.password
    ) {
      throw new Error(
        `kubernetesTerminal.resume.instanceUrl must be an http or https URL without credentials, such as http://10.0.0.12:7007/api/kubernetes-terminal; got '${instanceUrl}'`,
      );
    }
  }
  return {
    graceMs,
    maxHeldBytes: Math.round(megabytes * 1024 * 1024),
    ...(instanceUrl && { instanceUrl: instanceUrl.replace(/\/+$/, '') }),
  };
}

function readRecordingConfig(section: Config | undefined): RecordingConfig {
  const recording = section?.getOptionalConfig('recording');
  const directory = recording?.getOptionalString('directory');
  const storage = recording?.getOptionalString('storage') ?? 'database';
  if (storage !== 'database' && storage !== 'directory') {
    throw new Error(
      `kubernetesTerminal.recording.storage must be 'database' or 'directory', not '${storage}'`,
    );
  }
  if (storage === 'directory' && !directory) {
    throw new Error(
      "kubernetesTerminal.recording.directory is required with storage 'directory'",
    );
  }
  const megabytes = recording?.getOptionalNumber('maxSessionMegabytes') ?? 64;
  if (!(megabytes > 0) || megabytes > 4096) {
    throw new Error(
      'kubernetesTerminal.recording.maxSessionMegabytes must be more than 0 and at most 4096',
    );
  }
  return {
    enabled: recording?.getOptionalBoolean('enabled') ?? true,
    storage,
    directory,
    maxBytesPerSession: Math.round(megabytes * 1024 * 1024),
    failClosed: recording?.getOptionalBoolean('failClosed') ?? false,
  };
}

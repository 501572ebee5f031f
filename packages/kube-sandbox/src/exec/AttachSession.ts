import type { WebSocket } from 'ws';
import {
  exitStatus,
  frame,
  lowestWritableChannel,
  parseResize,
  RESIZE,
  sendFinalStatus,
  STDERR,
  STDIN,
  STDOUT,
} from './channels';
import { AttachParams } from './execRequest';
import { Attachment, MainProcesses } from './MainProcesses';

/*
 * One attach: a WebSocket joined to a container's running main process. Unlike exec, leaving does
 * not end the process (others may attach later); when the process exits, every attached client
 * gets its status on the error channel and a normal close, as from the API server.
 */
export class AttachSession {
  private attachment?: Attachment;

  constructor(
    private readonly o: {
      ws: WebSocket;
      params: AttachParams;
      processes: MainProcesses;
    },
  ) {}

  /** False when the container has no main process running (the caller refuses the upgrade before). */
  start(): boolean {
    const { ws, params, processes } = this.o;
    this.attachment = processes.attach(
      params.pod.metadata.uid!,
      params.container,
      {
        output: (channel, data) => {
          if (channel === STDOUT && !params.stdout) return;
          if (channel === STDERR && !params.stderr) return;
          this.send(frame(channel, data));
        },
        ended: code => {
          this.attachment = undefined;
          sendFinalStatus(ws, exitStatus([params.container], code));
        },
      },
    );
    if (!this.attachment) return false;
    // Like the API server: one empty frame on the lowest writable channel says the stream is up.
    this.send(frame(lowestWritableChannel(params)));
    ws.on('message', (data, isBinary) => {
      if (isBinary) this.onMessage(data as Buffer);
    });
    const leave = () => {
      this.attachment?.detach();
      this.attachment = undefined;
    };
    ws.on('close', leave);
    ws.on('error', leave);
    return true;
  }

  private onMessage(data: Buffer): void {
    if (data.length === 0 || !this.attachment) return;
    const channel = data[0];
    const payload = data.subarray(1);
    if (channel === STDIN && this.o.params.stdin) {
      this.attachment.write(payload);
    } else if (channel === RESIZE && this.o.params.tty) {
      const size = parseResize(payload);
      if (size) this.attachment.resize(size.cols, size.rows);
    }
  }

  private send(data: Buffer): void {
    const { ws } = this.o;
    if (ws.readyState === ws.OPEN) ws.send(data, { binary: true });
  }
}

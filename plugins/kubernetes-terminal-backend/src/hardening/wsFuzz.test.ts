import { mockCredentials } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  TERMINAL_MAX_MESSAGE_BYTES,
  TerminalCloseCode,
  parseTerminalClientMessage,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import request from 'supertest';
import { CapturedLogs } from '../__testUtils__/capturingLogger';
import { TerminalClient } from '../__testUtils__/TerminalClient';
import { eventually } from '../__testUtils__/eventually';
import {
  HOSTILE_VALUES,
  Random,
  casesFromEnv,
  seedFromEnv,
} from '../__testUtils__/fuzz';
import {
  startTerminalTestEnv,
  type TerminalTestEnv,
  openTerminal,
} from '../__testUtils__/terminalBackend';

/*
 * Bad input on the terminal WebSocket, seeded: malformed, hostile and oversized control messages,
 * random input, raw frames that break the WebSocket protocol, out-of-order control frames and floods.
 * A message the protocol accepts leaves the session working (a `ping` still gets its `pong`); one it
 * does not ends it with the close code for it and a reason; the backend never falls over, leaves no
 * session open and logs no ticket. The container runs `cat` in raw mode, so random input is data only.
 */

const CASES = casesFromEnv('WS_CASES', 250);
const SEED = seedFromEnv(20261130);
jest.setTimeout(Math.max(180_000, CASES * 300));

const USER = 'user:default/ws-fuzzer';
const BASE = '/api/kubernetes-terminal';

type Expect = 'alive' | number[];
interface Case {
  name: string;
  send(client: TerminalClient, random: Random): void;
  expect: Expect;
}

/** A frame as a client sends it: FIN, opcode, masked payload (or as given, to break the rules). */
function frame(
  opcode: number,
  payload: Buffer,
  options: {
    fin?: boolean;
    rsv?: number;
    masked?: boolean;
    length?: bigint;
  } = {},
): Buffer {
  const { fin = true, rsv = 0, masked = true } = options;
  const head = [(fin ? 0x80 : 0) | (rsv << 4) | opcode];
  const length = options.length ?? BigInt(payload.length);
  const maskBit = masked ? 0x80 : 0;
  let ext = Buffer.alloc(0);
  if (length < 126n) head.push(maskBit | Number(length));
  else if (length < 65536n) {
    head.push(maskBit | 126);
    ext = Buffer.alloc(2);
    ext.writeUInt16BE(Number(length));
  } else {
    head.push(maskBit | 127);
    ext = Buffer.alloc(8);
    ext.writeBigUInt64BE(length);
  }
  if (!masked) return Buffer.concat([Buffer.from(head), ext, payload]);
  const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const body = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]));
  return Buffer.concat([Buffer.from(head), ext, mask, body]);
}

function rawWrite(client: TerminalClient, data: Buffer) {
  (
    client.ws as unknown as { _socket: { write(b: Buffer): void } }
  )._socket.write(data);
}

function hostileMessage(random: Random): unknown {
  const type = random.pick<unknown>([
    'resize',
    'resize',
    'ack',
    'ping',
    'extend',
    'input',
    'RESIZE',
    '',
    null,
    7,
    ['resize'],
    { toString: 'resize' },
  ]);
  const message: Record<string, unknown> = { type };
  const fields = ['cols', 'rows', 'bytes', 'data', '__proto__', 'extra'];
  const dimension = () =>
    random.chance(0.5)
      ? random.int(1, 1000)
      : random.pick<unknown>([0, -1, 1001, 1e9, 1.5, '80', null, NaN, 2 ** 53]);
  if (type === 'resize' && random.chance(0.7)) {
    message.cols = dimension();
    message.rows = dimension();
  }
  if (type === 'ack' && random.chance(0.7)) {
    message.bytes = random.pick<unknown>([
      0,
      1,
      65536,
      -1,
      1.5,
      Number.MAX_SAFE_INTEGER,
      Number.MAX_SAFE_INTEGER + 2,
      '100',
    ]);
  }
  for (let i = random.int(0, 2); i > 0; i--) {
    message[random.pick(fields)] = random.pick(HOSTILE_VALUES);
  }
  return message;
}

function makeCase(random: Random): Case {
  const kind = random.int(0, 12);
  switch (kind) {
    case 0:
    case 1:
    case 2:
    case 3: {
      // A control message, maybe malformed: the protocol's own parser says what must happen.
      const text = random.chance(0.85)
        ? JSON.stringify(hostileMessage(random))
        : random.pick([
            '',
            '{',
            'null',
            '[]',
            '"ping"',
            '{"type":"ping"',
            random.text(200),
            `${'['.repeat(10_000)}${']'.repeat(10_000)}`,
            `{"type":"resize","cols":80,"rows":24${',"x":1'.repeat(2000)}}`,
          ]);
      const valid = parseTerminalClientMessage(text).ok;
      return {
        name: `text ${text.slice(0, 80)}`,
        send: c => c.ws.send(text),
        expect: valid ? 'alive' : [TerminalCloseCode.ProtocolError],
      };
    }
    case 4:
    case 5: {
      const data = random.bytes(random.int(1, 4096));
      return {
        name: `input of ${data.length} random bytes`,
        send: c => c.ws.send(data, { binary: true }),
        expect: 'alive',
      };
    }
    case 6: {
      const binary = random.chance(0.5);
      const size = TERMINAL_MAX_MESSAGE_BYTES + random.int(1, 200_000);
      return {
        name: `${binary ? 'binary' : 'text'} message of ${size} bytes`,
        send: c =>
          c.ws.send(binary ? Buffer.alloc(size, 0x61) : 'a'.repeat(size), {
            binary,
          }),
        expect: [TerminalCloseCode.MessageTooBig],
      };
    }
    case 7: {
      const payload = random.bytes(random.int(0, 125));
      const pong = random.chance(0.5);
      return {
        name: `${pong ? 'unsolicited pong' : 'ping'} with ${
          payload.length
        } bytes`,
        send: c => (pong ? c.ws.pong(payload) : c.ws.ping(payload)),
        expect: 'alive',
      };
    }
    case 8: {
      const count = random.int(100, 1000);
      return {
        name: `flood of ${count} resizes`,
        send: (c, r) => {
          for (let i = 0; i < count; i++)
            c.resize(r.int(1, 1000), r.int(1, 1000));
        },
        expect: 'alive',
      };
    }
    case 9: {
      const count = random.int(500, 3000);
      return {
        name: `flood of ${count} input frames`,
        send: c => {
          for (let i = 0; i < count; i++)
            c.ws.send(Buffer.from('x'), { binary: true });
        },
        expect: 'alive',
      };
    }
    default: {
      // Frames that break RFC 6455; ws answers with a protocol-error close, or 1007 for bad UTF-8.
      const broken = random.pick([
        {
          name: 'frame with RSV1 set',
          data: frame(0x2, Buffer.from('x'), { rsv: 4 }),
          codes: [1002],
        },
        {
          name: 'reserved opcode 0x3',
          data: frame(0x3, Buffer.from('x')),
          codes: [1002],
        },
        {
          name: 'reserved control opcode 0xB',
          data: frame(0xb, Buffer.alloc(0)),
          codes: [1002],
        },
        {
          name: 'unmasked client frame',
          data: frame(0x2, Buffer.from('x'), { masked: false }),
          codes: [1002],
        },
        {
          name: 'fragmented ping',
          data: frame(0x9, Buffer.from('x'), { fin: false }),
          codes: [1002],
        },
        {
          name: 'ping longer than 125 bytes',
          data: frame(0x9, Buffer.alloc(200)),
          codes: [1002],
        },
        {
          name: 'continuation without a start',
          data: frame(0x0, Buffer.from('x')),
          codes: [1002],
        },
        {
          name: 'text frame that is not UTF-8',
          data: frame(0x1, Buffer.from([0xff, 0xfe, 0xc0, 0x80])),
          codes: [1007],
        },
        {
          name: 'length of 2^63',
          data: frame(0x2, Buffer.alloc(0), { length: 2n ** 63n }),
          codes: [1009, 1002],
        },
        {
          name: 'close frame with a 1-byte payload',
          data: frame(0x8, Buffer.from([0x03])),
          codes: [1002],
        },
        {
          name: 'close frame with an invalid code',
          data: frame(0x8, Buffer.from([0x03, 0xe7])),
          codes: [1002],
        },
      ]);
      return {
        name: broken.name,
        send: c => rawWrite(c, broken.data),
        expect: broken.codes,
      };
    }
  }
}

describe(`WebSocket bad input (${CASES} cases, seed ${SEED})`, () => {
  let env: TerminalTestEnv;
  const logs = new CapturedLogs();
  const tickets: string[] = [];

  beforeAll(async () => {
    env = await startTerminalTestEnv({
      decide: () => AuthorizeResult.ALLOW,
      features: logs.factories(),
      terminalConfig: { maxSessionsPerUser: 1000 },
    });
  });
  afterAll(async () => {
    await env?.stop();
  });

  async function open(): Promise<TerminalClient> {
    const { client, ticket } = await openTerminal(env.backend.server, USER);
    tickets.push(ticket);
    // Raw mode, no echo, no signals: whatever is typed from now on is data for cat.
    client.type('stty raw -echo -isig; exec cat > /dev/null\r');
    await client.waitForOutput(/cat > \/dev\/null\r\n/);
    return client;
  }

  async function alive(client: TerminalClient): Promise<boolean> {
    const pongs = client.messages.filter(m => m.type === 'pong').length;
    if (client.closed || client.ws.readyState !== client.ws.OPEN) return false;
    client.ws.send(JSON.stringify({ type: 'ping' }));
    try {
      await client.waitFor(
        () =>
          !!client.closed ||
          client.messages.filter(m => m.type === 'pong').length > pongs,
        'pong',
        10_000,
      );
    } catch {
      return false;
    }
    return !client.closed;
  }

  it('keeps a session on what the protocol allows, closes it with a reason on the rest', async () => {
    const random = new Random(SEED);
    const failures: string[] = [];
    const outcomes = new Map<string, number>();
    let client = await open();
    let opened = 1;
    for (let n = 0; n < CASES; n++) {
      const c = makeCase(random);
      c.send(client, random);
      let outcome: string;
      if (c.expect === 'alive') {
        const ok = await alive(client);
        outcome = ok ? 'alive' : `closed ${client.closed?.code}`;
        if (!ok)
          failures.push(
            `#${n} ${
              c.name
            }: expected the session to live, got ${JSON.stringify(
              client.closed,
            )}`,
          );
      } else {
        await client.waitForClose(10_000).catch(() => undefined);
        const closed = client.closed;
        outcome = `closed ${closed?.code}`;
        if (!closed || !c.expect.includes(closed.code)) {
          failures.push(
            `#${n} ${c.name}: expected close ${c.expect.join(
              ' or ',
            )}, got ${JSON.stringify(closed)}`,
          );
        } else if (closed.code >= 4000 && !closed.reason) {
          failures.push(
            `#${n} ${c.name}: closed ${closed.code} without a reason`,
          );
        }
      }
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      if (client.closed || client.ws.readyState !== client.ws.OPEN) {
        client.close();
        client = await open();
        opened += 1;
      }
    }
    client.close();
    // eslint-disable-next-line no-console
    console.log(
      `WebSocket bad input: ${CASES} cases, seed ${SEED}, ${opened} sessions; outcomes ${JSON.stringify(
        Object.fromEntries(outcomes),
      )}`,
    );
    expect(failures).toEqual([]);

    const health = await request(env.backend.server).get(`${BASE}/health`);
    expect(health.status).toBe(200);
    // Every session ends: none is left active or idle.
    await eventually(async () => {
      const live = await request(env.backend.server)
        .get(`${BASE}/sessions?status=active&status=idle`)
        .set('Authorization', mockCredentials.user.header(USER));
      expect(live.body.items).toEqual([]);
    }, 15_000);
    expect(logs.containing(tickets)).toEqual([]);
  });
});

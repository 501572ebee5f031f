import { parseTerminalClientMessage } from './protocol';

describe('parseTerminalClientMessage', () => {
  it('accepts resize, ack and ping', () => {
    expect(
      parseTerminalClientMessage('{"type":"resize","cols":80,"rows":24}'),
    ).toEqual({
      ok: true,
      message: { type: 'resize', cols: 80, rows: 24 },
    });
    expect(parseTerminalClientMessage('{"type":"ack","bytes":4096}')).toEqual({
      ok: true,
      message: { type: 'ack', bytes: 4096 },
    });
    expect(
      parseTerminalClientMessage('{"type":"ack","bytes":1,"extra":true}'),
    ).toEqual({
      ok: true,
      message: { type: 'ack', bytes: 1 },
    });
    expect(parseTerminalClientMessage('{"type":"ping"}').ok).toBe(true);
  });

  it.each([
    ['not json', 'control message is not valid JSON'],
    ['{"type":"resize","cols":0,"rows":24}', 'invalid control message: cols'],
    [
      '{"type":"resize","cols":80.5,"rows":24}',
      'invalid control message: cols',
    ],
    [
      '{"type":"resize","cols":80,"rows":100000}',
      'invalid control message: rows',
    ],
    ['{"type":"ack","bytes":-1}', 'invalid control message: bytes'],
    ['{"type":"ack","bytes":1.5}', 'invalid control message: bytes'],
    ['{"type":"ack","bytes":"10"}', 'invalid control message: bytes'],
    ['{"type":"ack"}', 'invalid control message: bytes'],
    ['{"type":"exec","command":"rm -rf /"}', 'invalid control message: type'],
    ['[]', 'invalid control message'],
  ])('rejects %s with a reason', (text, reason) => {
    const result = parseTerminalClientMessage(text);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toContain(reason);
  });
});

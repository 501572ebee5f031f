import { parseAsciicast, parseAsciicastSize } from './asciicast';

describe('parseAsciicast', () => {
  it('reads the header and events, keeping unknown codes', () => {
    const cast = parseAsciicast(
      [
        '{"version":2,"width":80,"height":24,"timestamp":1700000000}',
        '[0.5,"o","hi\\r\\n"]',
        '',
        '[1,"r","100x30"]',
        '[1.25,"m","ls"]',
        '[2,"x","future"]',
        '',
      ].join('\n'),
    );
    expect(cast.header).toEqual({
      version: 2,
      width: 80,
      height: 24,
      timestamp: 1700000000,
    });
    expect(cast.events).toEqual([
      [0.5, 'o', 'hi\r\n'],
      [1, 'r', '100x30'],
      [1.25, 'm', 'ls'],
      [2, 'x', 'future'],
    ]);
  });

  it.each([
    ['', 'asciicast is empty'],
    ['{"version":1,"width":80,"height":24}', 'header must be'],
    ['{"version":2,"width":80}', 'header must be'],
    ['{"version":2,"width":80,"height":24}\nnot json', 'line 2 is not JSON'],
    ['{"version":2,"width":80,"height":24}\n[1,"o"]', 'line 2 is not an event'],
    [
      '{"version":2,"width":80,"height":24}\n[-1,"o","x"]',
      'line 2 is not an event',
    ],
    [
      '{"version":2,"width":80,"height":24}\n[2,"o","a"]\n[1,"o","b"]',
      'line 3 goes back in time',
    ],
  ])('refuses %j', (text, message) => {
    expect(() => parseAsciicast(text)).toThrow(message);
  });

  it('reads resize sizes', () => {
    expect(parseAsciicastSize('120x40')).toEqual({ cols: 120, rows: 40 });
    expect(parseAsciicastSize('0x40')).toBeUndefined();
    expect(parseAsciicastSize('12 x 4')).toBeUndefined();
  });
});

import { KeyDecoder, type Key } from './KeyDecoder';

const decode = (decoder: KeyDecoder, ...chunks: (string | Uint8Array)[]) => {
  const keys: Key[] = [];
  for (const chunk of chunks)
    decoder.decode(
      typeof chunk === 'string' ? Buffer.from(chunk) : chunk,
      key => keys.push(key),
    );
  return keys;
};

describe('KeyDecoder', () => {
  it('joins escape sequences and UTF-8 split across messages', () => {
    const euro = Buffer.from('€');
    const keys = decode(
      new KeyDecoder(),
      'a\x1b[',
      'Db',
      euro.subarray(0, 1),
      euro.subarray(1),
      '\x1bOH',
    );
    expect(keys.map(k => k.key)).toEqual(['a', '\x1b[D', 'b', '€', '\x1bOH']);
  });

  it('leaves out cursor position reports and the line feed of CR LF, not a lone line feed', () => {
    const keys = decode(new KeyDecoder(), 'x\x1b[12;40R\r\ny\n\n');
    expect(keys.map(k => k.key)).toEqual(['x', '\r', 'y', '\n', '\n']);
  });

  it('marks the keys of a bracketed paste and its markers', () => {
    const keys = decode(new KeyDecoder(), 'a\x1b[200~b\rc\x1b[201~d');
    expect(keys).toEqual([
      { key: 'a', pasting: false },
      { key: '\x1b[200~', pasting: true, paste: 'start' },
      { key: 'b', pasting: true },
      { key: '\r', pasting: true },
      { key: 'c', pasting: true },
      { key: '\x1b[201~', pasting: false, paste: 'end' },
      { key: 'd', pasting: false },
    ]);
  });

  it('drops an over-long sequence, and forgets a paste and a sequence begun on reset', () => {
    const decoder = new KeyDecoder();
    // 33 characters with no final byte: dropped, and what follows is keys again.
    const long = `\x1b[${'1;'.repeat(15)}1`;
    expect(decode(decoder, long, 'x').map(k => k.key)).toEqual(['x']);
    decode(decoder, '\x1b[200~a', '\x1b[');
    decoder.reset();
    expect(decode(decoder, 'z')).toEqual([{ key: 'z', pasting: false }]);
  });
});

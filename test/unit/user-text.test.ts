import { echo, safeText } from '../../bot/core/text';

describe('safeText: what may be stored and echoed', () => {
  test('strips terminal escapes, control characters and invisible direction marks; keeps lines, tabs and emoji', () => {
    expect(safeText('\x1b[2J\x1b[HParis\x07')).toBe('Paris');
    expect(safeText('\x1b]0;title\x07Tokyo\u202e\u200b')).toBe('Tokyo');
    expect(safeText('a\u0000b\u0085c\x7f')).toBe('abc');
    expect(safeText('line 1\r\nline 2\tend')).toBe('line 1\nline 2\tend');
    expect(safeText('👨‍👩‍👧 e\u0301')).toBe('👨‍👩‍👧 e\u0301');
  });
});

describe('echo: user text quoted in a reply', () => {
  test('mentions are defused, whatever follows them', () => {
    for (const text of ['@everyone', '@hereÀ', '@everyone\u0301', '@HERE', 'x@everyone']) {
      expect(echo(text)).not.toMatch(/@everyone|@here/i);
    }
    expect(echo('<!channel> <@123> <@&45> <#C1>')).toBe('‹!channel> ‹@123> ‹@&45> ‹#C1>');
  });

  test('is cut to the length asked, with an ellipsis, never splitting a character', () => {
    expect(echo('Paris')).toBe('Paris');
    const long = echo('Q'.repeat(480));
    expect([...long]).toHaveLength(60);
    expect(long.endsWith('Q…')).toBe(true);
    expect([...echo('🌧'.repeat(100), 10)]).toEqual([...'🌧'.repeat(9), '…']);
  });
});

import { formatProperties, parseProperties, toMap } from '../src/config/java-properties';

describe('Java properties format', () => {
  test('reads the shapes Kafka configs use: comments, =, :, blanks, continuations, escapes', () => {
    const text = [
      '# a comment',
      '! another comment',
      '',
      '   broker.id=0',
      'listeners : PLAINTEXT://:9092',
      'log.dirs /tmp/a,\\',
      '          /tmp/b',
      'key\\ with\\ spaces=v',
      'unicode=caf\\u00e9',
      'tab=a\\tb',
      'trailing.backslash.pair=c:\\\\',
      'empty=',
      'broker.id=1',
    ].join('\n');
    const entries = parseProperties(text);
    expect(entries.map(({ key, value }) => [key, value])).toEqual([
      ['broker.id', '0'],
      ['listeners', 'PLAINTEXT://:9092'],
      ['log.dirs', '/tmp/a,/tmp/b'],
      ['key with spaces', 'v'],
      ['unicode', 'café'],
      ['tab', 'a\tb'],
      ['trailing.backslash.pair', 'c:\\'],
      ['empty', ''],
      ['broker.id', '1'],
    ]);
    expect(entries[2].line).toBe(6);
    // Later duplicates win, as in java.util.Properties.
    expect(toMap(entries).get('broker.id')).toBe('1');
  });

  test('reads CRLF files and a comment that ends in a backslash does not continue', () => {
    expect(parseProperties('#comment \\\r\na=1\r\nb=2').map(({ key, value }) => `${key}=${value}`)).toEqual(['a=1', 'b=2']);
  });

  test('a malformed \\u escape is an error naming the line', () => {
    expect(() => parseProperties('ok=1\nbad=\\u12')).toThrow('line 2');
  });

  test('what formatProperties writes reads back the same, including characters that need escapes', () => {
    const entries: [string, string][] = [
      ['cluster.id', 'abc-DEF_123'],
      ['odd key=:', ' leading space, colon: and = and \\ and é'],
    ];
    const text = formatProperties(entries, ['', 'Thu Oct 24 10:00:00 UTC 2024']);
    expect(text.startsWith('#\n#Thu Oct 24 10:00:00 UTC 2024\n')).toBe(true);
    expect(parseProperties(text).map(({ key, value }) => [key, value])).toEqual(entries);
  });
});

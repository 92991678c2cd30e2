import {
  certificateSubjectEntries,
  formatSubject,
  parseHostSubject,
  subjectsMatch,
} from '../../../../src/edge/spice/host-subject';

describe('host subject', () => {
  it('parses KEY=VALUE pairs, trimming blanks', () => {
    expect(parseHostSubject('C=XX, L=city,O=org,CN=host')).toEqual([
      { key: 'C', value: 'XX' },
      { key: 'L', value: 'city' },
      { key: 'O', value: 'org' },
      { key: 'CN', value: 'host' },
    ]);
  });

  it('honours backslash escapes for commas', () => {
    expect(parseHostSubject('O=Acme\\, Inc.,CN=h')).toEqual([
      { key: 'O', value: 'Acme, Inc.' },
      { key: 'CN', value: 'h' },
    ]);
  });

  it('rejects a part without KEY=', () => {
    expect(() => parseHostSubject('C=XX,oops')).toThrow(/KEY=VALUE/);
  });

  it('matches the same attributes in any order, and nothing more or less', () => {
    const cert = certificateSubjectEntries({ C: 'XX', O: 'org', CN: 'host' });
    expect(subjectsMatch(parseHostSubject('CN=host,C=XX,O=org'), cert)).toBe(true);
    expect(subjectsMatch(parseHostSubject('C=XX,O=org'), cert)).toBe(false);
    expect(subjectsMatch(parseHostSubject('C=XX,O=org,CN=other'), cert)).toBe(false);
    expect(subjectsMatch(parseHostSubject('C=XX,O=org,CN=host,L=city'), cert)).toBe(false);
  });

  it('flattens repeated attributes and formats with escapes', () => {
    const entries = certificateSubjectEntries({ OU: ['a', 'b,c'], CN: 'h' });
    expect(entries).toHaveLength(3);
    expect(formatSubject(entries)).toBe('OU=a,OU=b\\,c,CN=h');
  });
});

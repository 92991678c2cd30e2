import { deliveredTrafficEvents, trafficEvents } from '../../../../src/edge/sharing/batch-traffic';

const head = (length: number): Buffer => Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${length}\r\n\r\n`);
const body = (bytes: number): Buffer => Buffer.alloc(bytes, 0x61);

describe('trafficEvents', () => {
  it('says a batch of frames moved as one event, with the length its first frame announces', () => {
    const first = head(200_000);
    expect(trafficEvents('a', 'out', [first, body(65535), body(65535)])).toEqual([
      {
        kind: 'traffic',
        id: 'a',
        direction: 'out',
        bytes: first.length + 2 * 65535,
        announcedBytes: 200_000,
      },
    ]);
    expect(trafficEvents('a', 'out', [body(65535), body(100)])).toEqual([
      { kind: 'traffic', id: 'a', direction: 'out', bytes: 65635 },
    ]);
  });

  it('begins a new event where a message starts at a later frame: its bytes are counted from there', () => {
    const next = head(5);
    expect(trafficEvents('a', 'out', [body(300), next, body(5)])).toEqual([
      { kind: 'traffic', id: 'a', direction: 'out', bytes: 300 },
      { kind: 'traffic', id: 'a', direction: 'out', bytes: next.length + 5, announcedBytes: 5 },
    ]);
  });

  it('reads delivered guest frames, each as its pieces, the same way', () => {
    const put = Buffer.from('PUT /f HTTP/1.1\r\nContent-Length: 7\r\n\r\n');
    const frames = [[put.subarray(0, 10), put.subarray(10)], [Buffer.from('1234')], [Buffer.from('567')]];
    expect(deliveredTrafficEvents('a', frames)).toEqual([
      { kind: 'traffic', id: 'a', direction: 'in', bytes: put.length + 7, announcedBytes: 7 },
    ]);
    const next = Buffer.from('PUT /g HTTP/1.1\r\nContent-Length: 0\r\n\r\n');
    expect(deliveredTrafficEvents('a', [[Buffer.from('tail')], [next]])).toEqual([
      { kind: 'traffic', id: 'a', direction: 'in', bytes: 4 },
      { kind: 'traffic', id: 'a', direction: 'in', bytes: next.length, announcedBytes: 0 },
    ]);
  });
});

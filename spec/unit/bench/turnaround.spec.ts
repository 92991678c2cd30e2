import { turnaroundsOf } from '../../../bench/turnaround';

/** A line of `tcpdump -n -tt` output for a TCP segment with `length` bytes of payload. */
const segment = (seconds: number, from: number, to: number, length: number): string =>
  `${seconds.toFixed(6)} IP 127.0.0.1.${from} > 127.0.0.1.${to}: Flags [P.], seq 1:2, ack 3, win 64, length ${length}`;

describe('turnaroundsOf', () => {
  const SERVER = 5900;

  it('pairs each request the server sends with the next answer the client sends on that connection', () => {
    const text = [
      'reading from file x.pcap, link-type EN10MB (Ethernet)',
      segment(1.0, SERVER, 40000, 102), // a request
      segment(1.0001, 40000, SERVER, 0), // the kernel's ACK
      segment(1.0002, 40000, SERVER, 6), // a SPICE ACK message: not an answer
      segment(1.003, 40000, SERVER, 303), // the answer: 3 ms
      segment(2.0, SERVER, 40000, 102),
      segment(2.0, SERVER, 40000, 4112), // the rest of the same request: the turnaround counts from its start
      segment(2.001, 40000, SERVER, 190),
    ].join('\n');

    const turnarounds = turnaroundsOf(text, SERVER, 60);

    expect(turnarounds).toHaveLength(2);
    expect(turnarounds[0]).toBeCloseTo(3, 3);
    expect(turnarounds[1]).toBeCloseTo(1, 3);
  });

  it('keeps connections apart, and ignores what the server sends below the request size (pings)', () => {
    const text = [
      segment(1.0, SERVER, 40000, 102),
      segment(1.0005, SERVER, 40002, 18), // a ping on the main channel
      segment(1.001, 40002, SERVER, 30), // its answer: no request was waiting there
      segment(1.002, 40000, SERVER, 303),
    ].join('\n');

    expect(turnaroundsOf(text, SERVER, 60).map((ms) => Number(ms.toFixed(3)))).toEqual([2]);
  });
});

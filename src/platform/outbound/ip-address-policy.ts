// Which IP addresses an outbound fetch of an attacker-chosen URL (did:web, status lists) may reach:
// only publicly routable unicast. Loopback, private, link-local, unique-local, CGNAT, multicast,
// unspecified, documentation and other special-purpose ranges (IANA registries) are refused.
import { isIP } from 'node:net';

export type AddressVerdict = { allowed: true } | { allowed: false; reason: string };

interface Range {
  prefix: number[];
  bits: number;
  reason: string;
}

const IPV4_SPECIAL: Range[] = [
  { prefix: [0], bits: 8, reason: 'unspecified ("this network")' },
  { prefix: [10], bits: 8, reason: 'private (RFC 1918)' },
  { prefix: [100, 64], bits: 10, reason: 'shared address space (CGNAT, RFC 6598)' },
  { prefix: [127], bits: 8, reason: 'loopback' },
  { prefix: [169, 254], bits: 16, reason: 'link-local (cloud metadata lives here)' },
  { prefix: [172, 16], bits: 12, reason: 'private (RFC 1918)' },
  { prefix: [192, 0, 0], bits: 24, reason: 'IETF protocol assignments' },
  { prefix: [192, 0, 2], bits: 24, reason: 'documentation' },
  { prefix: [192, 88, 99], bits: 24, reason: '6to4 relay anycast' },
  { prefix: [192, 168], bits: 16, reason: 'private (RFC 1918)' },
  { prefix: [198, 18], bits: 15, reason: 'benchmarking' },
  { prefix: [198, 51, 100], bits: 24, reason: 'documentation' },
  { prefix: [203, 0, 113], bits: 24, reason: 'documentation' },
  { prefix: [224], bits: 4, reason: 'multicast' },
  { prefix: [240], bits: 4, reason: 'reserved (incl. broadcast)' },
];

/** Inside 2000::/3 (global unicast), these are still special. */
const IPV6_SPECIAL_GLOBAL: Range[] = [
  { prefix: [0x20, 0x01, 0x00], bits: 23, reason: 'IETF protocol assignments (incl. Teredo)' },
  { prefix: [0x20, 0x01, 0x0d, 0xb8], bits: 32, reason: 'documentation' },
  { prefix: [0x20, 0x02], bits: 16, reason: '6to4 (embeds an IPv4 address)' },
  { prefix: [0x3f, 0xff], bits: 20, reason: 'documentation' },
];

/** Says whether `address` (an IP literal, IPv6 optionally in brackets or with a zone) is public unicast. */
export function classifyAddress(address: string): AddressVerdict {
  const bytes = parseIpAddress(address);
  if (!bytes) return { allowed: false, reason: 'not an IP address' };
  return bytes.length === 4 ? classifyIpv4(bytes) : classifyIpv6(bytes);
}

function classifyIpv4(bytes: Uint8Array): AddressVerdict {
  const range = IPV4_SPECIAL.find((r) => matches(bytes, r));
  return range ? { allowed: false, reason: range.reason } : { allowed: true };
}

function classifyIpv6(bytes: Uint8Array): AddressVerdict {
  const zeroPrefix = (n: number) => bytes.subarray(0, n).every((b) => b === 0);
  // IPv4-mapped ::ffff:a.b.c.d and NAT64 64:ff9b::a.b.c.d reach the embedded IPv4 address: judge that one.
  if (zeroPrefix(10) && bytes[10] === 0xff && bytes[11] === 0xff) return classifyIpv4(bytes.subarray(12));
  if (matches(bytes, { prefix: [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0], bits: 96, reason: '' })) {
    return classifyIpv4(bytes.subarray(12));
  }
  if (zeroPrefix(15) && bytes[15] === 1) return { allowed: false, reason: 'loopback' };
  if (zeroPrefix(16)) return { allowed: false, reason: 'unspecified' };
  if ((bytes[0]! & 0xe0) !== 0x20) {
    const first = bytes[0]!;
    const reason =
      first === 0xff ? 'multicast' : (first & 0xfe) === 0xfc ? 'unique-local' : first === 0xfe && (bytes[1]! & 0xc0) === 0x80 ? 'link-local' : 'not global unicast';
    return { allowed: false, reason };
  }
  const range = IPV6_SPECIAL_GLOBAL.find((r) => matches(bytes, r));
  return range ? { allowed: false, reason: range.reason } : { allowed: true };
}

function matches(bytes: Uint8Array, range: Range): boolean {
  let remaining = range.bits;
  for (let i = 0; remaining > 0; i++, remaining -= 8) {
    const mask = remaining >= 8 ? 0xff : (0xff << (8 - remaining)) & 0xff;
    if ((bytes[i]! & mask) !== ((range.prefix[i] ?? 0) & mask)) return false;
  }
  return true;
}

/** The 4 or 16 bytes of an IP literal; undefined for anything else (names included). */
export function parseIpAddress(text: string): Uint8Array | undefined {
  let address = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const zone = address.indexOf('%');
  if (zone >= 0) address = address.slice(0, zone);
  const family = isIP(address);
  if (family === 4) return new Uint8Array(address.split('.').map(Number));
  if (family !== 6) return undefined;
  const bytes = new Uint8Array(16);
  let tail = address;
  let embedded: number[] = [];
  const lastColon = tail.lastIndexOf(':');
  if (tail.slice(lastColon + 1).includes('.')) {
    embedded = tail.slice(lastColon + 1).split('.').map(Number);
    tail = `${tail.slice(0, lastColon + 1)}0:0`;
  }
  const [head, rest] = tail.includes('::') ? (tail.split('::') as [string, string]) : [tail, undefined];
  const groups = (s: string) => (s === '' ? [] : s.split(':').map((g) => Number.parseInt(g, 16)));
  const headGroups = groups(head);
  const restGroups = rest === undefined ? [] : groups(rest);
  const all = [...headGroups, ...new Array(8 - headGroups.length - restGroups.length).fill(0), ...restGroups] as number[];
  all.forEach((group, i) => {
    bytes[i * 2] = group >> 8;
    bytes[i * 2 + 1] = group & 0xff;
  });
  if (embedded.length === 4) bytes.set(embedded, 12);
  return bytes;
}

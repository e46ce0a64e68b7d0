// Which addresses outbound fetches may reach: public unicast only.
import { describe, expect, it } from 'vitest';
import { classifyAddress, parseIpAddress } from '../../../src/platform/outbound/ip-address-policy';

describe('classifyAddress', () => {
  it.each([
    '8.8.8.8',
    '93.184.216.34',
    '1.1.1.1',
    '172.32.0.1',
    '100.128.0.1',
    '2606:4700:4700::1111',
    '2a00:1450:4001:80b::200e',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
  ])('allows public %s', (address) => {
    expect(classifyAddress(address)).toEqual({ allowed: true });
  });

  it.each([
    ['0.0.0.0', 'unspecified'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.0.1', 'private'],
    ['100.64.0.1', 'CGNAT'],
    ['100.127.255.255', 'CGNAT'],
    ['169.254.169.254', 'link-local'],
    ['192.0.2.1', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['fe80::1%eth0', 'link-local'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['64:ff9b::a00:1', 'private'],
    ['2001:db8::1', 'documentation'],
    ['2002:7f00:1::1', '6to4'],
    ['2001::1', 'Teredo'],
    ['::127.0.0.1', 'not global unicast'],
    ['example.com', 'not an IP address'],
  ])('refuses %s (%s)', (address, reason) => {
    const verdict = classifyAddress(address);
    expect(verdict.allowed).toBe(false);
    expect(verdict.allowed === false && verdict.reason).toMatch(reason);
  });
});

describe('parseIpAddress', () => {
  it('expands IPv6 forms to 16 bytes', () => {
    expect(Buffer.from(parseIpAddress('::1')!).toString('hex')).toBe('00000000000000000000000000000001');
    expect(Buffer.from(parseIpAddress('2001:db8::ff00:42:8329')!).toString('hex')).toBe('20010db8000000000000ff0000428329');
    expect(Buffer.from(parseIpAddress('::ffff:192.0.2.128')!).toString('hex')).toBe('00000000000000000000ffffc0000280');
  });
});
